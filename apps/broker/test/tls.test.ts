// TLS listeners: with tls.certFile and tls.keyFile a node also serves MQTT over WebSocket
// over TLS (wss://, same routes as http) and MQTT over TLS (mqtts://). Clients on the TLS
// and plain listeners reach each other; an unreadable certificate stops the node at start
// with a message that names the file.
import { readFileSync } from 'node:fs';
import {
  connectClient,
  repoRoot,
  runNodeExpectingFailure,
  type SpawnedNode,
  selfSignedCertificate,
  spawnNode,
  type TestCertificate,
  type TestClient,
} from '@edgemq/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let cert: TestCertificate;
let node: SpawnedNode;
const clients: TestClient[] = [];

beforeAll(async () => {
  readFileSync(`${repoRoot}apps/broker/dist/main.js`); // built tree: `npx tsc -b`
  cert = await selfSignedCertificate();
  node = await spawnNode({
    env: {
      EDGEMQ_TLS_CERT_FILE: cert.certFile,
      EDGEMQ_TLS_KEY_FILE: cert.keyFile,
      EDGEMQ_TLS_WSS_PORT: '0',
      EDGEMQ_TLS_MQTTS_PORT: '0',
    },
  });
}, 30_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end(true)));
  await node?.stop('SIGTERM', 5000);
  await cert?.remove();
});

async function client(url: string): Promise<TestClient> {
  const c = await connectClient(url, { ca: cert.cert, rejectUnauthorized: true, protocolVersion: 5 });
  clients.push(c);
  return c;
}

describe('TLS listeners', () => {
  it('reports the wss and mqtts ports it bound', () => {
    expect(node.ports.wss).toBeGreaterThan(0);
    expect(node.ports.mqtts).toBeGreaterThan(0);
    expect(node.ports.wss).not.toBe(node.ports.http);
  });

  it('carries MQTT over wss:// and mqtts://, to and from the plain listeners', async () => {
    const { http, mqtt, wss, mqtts } = node.ports;
    const overWss = await client(`wss://localhost:${wss}/mqtt`);
    const overMqtts = await client(`mqtts://localhost:${mqtts}`);
    const plainWs = await client(`ws://127.0.0.1:${http}/mqtt`);
    const plainTcp = await client(`mqtt://127.0.0.1:${mqtt}`);
    const subscribers = [overWss, overMqtts, plainWs, plainTcp];
    for (const s of subscribers) await s.client.subscribeAsync('tls/#', { qos: 1 });
    await overWss.client.publishAsync('tls/a', 'from wss', { qos: 1 });
    await plainTcp.client.publishAsync('tls/b', 'from tcp', { qos: 1 });
    for (const s of subscribers) {
      const got = await s.take(2, 5000);
      expect(got.map((m) => m.payload.toString()).sort()).toEqual(['from tcp', 'from wss']);
    }
  });

  it('serves the HTTP routes over HTTPS on the wss port', async () => {
    const { request } = await import('node:https');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: 'localhost', port: node.ports.wss, path: '/healthz', ca: cert.cert },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.once('error', reject);
      req.end();
    });
    expect(status).toBe(200);
  });

  it('refuses to start when the certificate file cannot be read, naming it', async () => {
    const missing = `${cert.certFile}.missing`;
    const { code, output } = await runNodeExpectingFailure({
      env: {
        EDGEMQ_TLS_CERT_FILE: missing,
        EDGEMQ_TLS_KEY_FILE: cert.keyFile,
        EDGEMQ_TLS_WSS_PORT: '0',
        EDGEMQ_TLS_MQTTS_PORT: '0',
      },
    });
    expect(code).not.toBe(0);
    expect(output).toContain(missing);
  });
});
