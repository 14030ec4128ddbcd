// Two nodes never share a port (reliability issue, defect 4). uWebSockets.js listens with
// SO_REUSEPORT by default, so a second node on the HTTP/WebSocket (or wss) port of a
// running one used to start without error and take half of its browser clients and
// /healthz requests. Every listener binds exclusively: the second node refuses to start,
// names the port, exits non-zero, and (started in-process) closes what it had opened.
// Spawned nodes run the built tree: `npx tsc -b` first.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import {
  repoRoot,
  runNodeExpectingFailure,
  type SpawnedNode,
  selfSignedCertificate,
  spawnNode,
  type TestCertificate,
} from '@edgemq/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode, unique } from './helpers/test-node.js';

/** A node that wrongly starts would run until killed: give it this long to fail. */
const FAILURE_TIMEOUT_MS = 10_000;

describe('a second node on a port a running node holds', () => {
  let cert: TestCertificate;
  let first: SpawnedNode;
  const firstId = unique('first');

  beforeAll(async () => {
    readFileSync(`${repoRoot}apps/broker/dist/main.js`); // built tree: `npx tsc -b`
    cert = await selfSignedCertificate();
    // Fixed ports, as in production: a port the kernel picked for a listen on port 0 is
    // never shared, SO_REUSEPORT or not, so that would hide the defect.
    const [http, wss, mqtt] = await freePorts(3);
    first = await spawnNode({
      env: {
        EDGEMQ_NODE_ID: firstId,
        ...tlsEnv(cert),
        EDGEMQ_HTTP_PORT: String(http),
        EDGEMQ_TLS_WSS_PORT: String(wss),
        EDGEMQ_MQTT_PORT: String(mqtt),
      },
    });
  }, 30_000);
  afterAll(async () => {
    await first?.stop('SIGTERM', 5000);
    await cert?.remove();
  });

  const conflicts = [
    {
      listener: 'HTTP/WebSocket',
      env: () => ({ EDGEMQ_HTTP_PORT: String(first.ports.http) }),
      port: () => first.ports.http,
    },
    {
      listener: 'wss',
      env: () => ({ EDGEMQ_TLS_WSS_PORT: String(first.ports.wss) }),
      port: () => first.ports.wss,
    },
    {
      listener: 'MQTT',
      env: () => ({ EDGEMQ_MQTT_PORT: String(first.ports.mqtt) }),
      port: () => first.ports.mqtt,
    },
  ];

  it.each(conflicts)(
    '$listener port: the second node exits non-zero naming the port; the first keeps serving it alone',
    async ({ env, port }) => {
      const { code, output } = await runNodeExpectingFailure({
        env: { EDGEMQ_HOST: '127.0.0.1', ...tlsEnv(cert), ...env() },
        timeoutMs: FAILURE_TIMEOUT_MS,
      });
      expect(code, `the second node did not fail:\n${output}`).toBe(1);
      expect(output).toContain(String(port()));
      expect(output).toMatch(/in use/);
      // Every request on the shared HTTP port reaches the first node.
      for (let i = 0; i < 5; i++) {
        const health = (await (await fetch(`http://127.0.0.1:${first.ports.http}/healthz`)).json()) as {
          nodeId: string;
        };
        expect(health.nodeId).toBe(firstId);
      }
    },
    FAILURE_TIMEOUT_MS + 10_000,
  );
});

describe('a node started in-process on a taken MQTT port', () => {
  let first: TestNode;
  beforeAll(async () => {
    first = await startTestNode();
  });
  afterAll(() => first?.stop());

  it('rejects naming the port and closes the HTTP/WebSocket listener it had opened', async () => {
    const [httpPort] = await freePorts(1);
    await expect(
      startTestNode({ http: { port: httpPort }, mqtt: { port: first.ports.mqtt } }),
    ).rejects.toThrow(String(first.ports.mqtt));
    expect(await accepts(httpPort)).toBe(false);
  });
});

function tlsEnv(cert: TestCertificate): Record<string, string> {
  return {
    EDGEMQ_TLS_CERT_FILE: cert.certFile,
    EDGEMQ_TLS_KEY_FILE: cert.keyFile,
    EDGEMQ_TLS_WSS_PORT: '0',
    EDGEMQ_TLS_MQTTS_PORT: '0',
  };
}

/** `count` distinct ports nothing listens on right now (bound together, then released). */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => net.createServer());
  await Promise.all(
    servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

/** True when something accepts a TCP connection on the loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
