// The HTTP API served on the WebSocket port: health, readiness, and the browser page with its
// MQTT.js bundle.
import { describe, expect, it } from 'vitest';
import { useTestNode } from './helpers/test-node.js';

const node = useTestNode();

const get = (path: string) => fetch(`${node().httpUrl}${path}`);

describe('HTTP API', () => {
  it('GET /healthz → 200 JSON with status ok and the bound ports', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { status: string; ports: { http: number; mqtt: number } };
    expect(body.status).toBe('ok');
    expect(body.ports).toEqual({ http: node().ports.http, mqtt: node().ports.mqtt });
    expect(body.ports.http).toBeGreaterThan(0);
    expect(body.ports.mqtt).toBeGreaterThan(0);
    expect(body.ports.http).not.toBe(body.ports.mqtt);
  });

  it('GET /readyz → 200 {ready: true}', async () => {
    const res = await get('/readyz');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ ready: true });
  });

  it('GET / → 200 HTML that loads /vendor/mqtt.min.js', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<script\b[^>]*\bsrc=["']\/vendor\/mqtt\.min\.js["'][^>]*>/);
  });

  it('GET /vendor/mqtt.min.js → 200 JavaScript (the MQTT.js browser bundle)', async () => {
    const res = await get('/vendor/mqtt.min.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    const script = await res.text();
    expect(script.length).toBeGreaterThan(10_000);
    expect(script).toMatch(/mqtt/i);
    // Compiles as a script (not an HTML error page); compiling does not run it.
    expect(() => new Function(script)).not.toThrow();
  });

  it.each(['/nope', '/vendor/nope.js', '/healthz/extra', '/api/unknown'])('GET %s → 404', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(404);
    await res.arrayBuffer();
  });
});
