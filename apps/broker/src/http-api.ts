// The HTTP endpoints of a node: health and readiness for load balancers and tests, and
// the browser page (with its MQTT.js bundle) served by the node itself.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type HttpRoute, json, type ProtocolServer } from '@edgemq/transport';
import { createMetrics } from './metrics.js';
import type { NodeStatus } from './node-status.js';

export function httpRoutes(status: () => NodeStatus, protocols: readonly ProtocolServer[]): HttpRoute[] {
  const page = readFileSync(new URL('../static/index.html', import.meta.url));
  const mqttBundle = readFileSync(createRequire(import.meta.url).resolve('mqtt/dist/mqtt.min'));
  const metrics = createMetrics(status, protocols);
  return [
    {
      method: 'get',
      path: '/metrics',
      handle: async () => ({
        status: 200,
        headers: { 'content-type': metrics.contentType },
        body: await metrics.metrics(),
      }),
    },
    { method: 'get', path: '/healthz', handle: () => json(200, { status: 'ok', ...status() }) },
    {
      method: 'get',
      path: '/readyz',
      handle: () => {
        const s = status();
        return json(s.ready ? 200 : 503, { ready: s.ready, backbone: s.backbone });
      },
    },
    {
      method: 'get',
      path: '/',
      handle: () => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page }),
    },
    {
      method: 'get',
      path: '/vendor/mqtt.min.js',
      handle: () => ({
        status: 200,
        headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600' },
        body: mqttBundle,
      }),
    },
  ];
}
