// The load generator's TLS wires: `mqtts` (TLS over TCP) and `wss` (WebSocket over TLS)
// reach servers on a throwaway self-signed certificate, trust it as their CA with SNI
// `localhost`, and carry one batched write intact both ways. A broker started without a
// certificate has no TLS endpoint.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import { selfSignedCertificate, type TestCertificate } from '@edgemq/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { endpointOf, type RunningBroker, TLS_SERVERNAME } from '../src/brokers/broker.js';
import { type Endpoint, openWire, type Wire } from '../src/load/wire.js';

let cert: TestCertificate;
const servers: { close(): void }[] = [];

beforeAll(async () => {
  cert = await selfSignedCertificate();
});

afterAll(async () => {
  for (const s of servers) s.close();
  await cert.remove();
});

const credentials = () => ({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) });

const listen = (server: net.Server) =>
  new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });

/** Writes `bytes` in one write and collects what the echo server sends back. */
async function roundTrip(wire: Wire, bytes: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  const back = new Promise<Buffer>((resolve) => {
    wire.onData((chunk) => {
      chunks.push(Buffer.from(chunk));
      length += chunk.length;
      if (length >= bytes.length) resolve(Buffer.concat(chunks));
    });
  });
  wire.write(bytes);
  const echoed = await back;
  wire.close();
  return echoed;
}

const batch = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));

describe('TLS wires', () => {
  it('mqtts: tls.connect trusting the certificate, one write echoed intact', async () => {
    const server = tls.createServer(credentials(), (socket) => socket.pipe(socket));
    servers.push(server);
    const port = await listen(server);
    const endpoint: Endpoint = {
      transport: 'mqtts',
      host: '127.0.0.1',
      port,
      path: '/mqtt',
      tls: { ca: cert.cert, servername: TLS_SERVERNAME },
    };
    expect((await roundTrip(await openWire(endpoint), batch)).equals(batch)).toBe(true);
  });

  it('wss: wss:// URL, subprotocol mqtt, binary frames echoed intact', async () => {
    const server = https.createServer(credentials());
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    const protocols: string[] = [];
    wss.on('connection', (ws, req) => {
      protocols.push(ws.protocol);
      expect(req.url).toBe('/mqtt');
      ws.on('message', (data) => ws.send(data as Buffer, { binary: true }));
    });
    servers.push(wss, server);
    const port = await listen(server);
    const endpoint: Endpoint = {
      transport: 'wss',
      host: '127.0.0.1',
      port,
      path: '/mqtt',
      tls: { ca: cert.cert, servername: TLS_SERVERNAME },
    };
    expect((await roundTrip(await openWire(endpoint), batch)).equals(batch)).toBe(true);
    expect(protocols).toEqual(['mqtt']);
  });

  it('refuses a server whose certificate it does not trust', async () => {
    const other = await selfSignedCertificate();
    try {
      const server = tls.createServer(credentials(), (socket) => socket.end());
      servers.push(server);
      const port = await listen(server);
      const endpoint: Endpoint = {
        transport: 'mqtts',
        host: '127.0.0.1',
        port,
        path: '/mqtt',
        tls: { ca: other.cert, servername: TLS_SERVERNAME },
      };
      await expect(openWire(endpoint)).rejects.toThrow(/self[- ]signed|verify|certificate/i);
    } finally {
      await other.remove();
    }
  });
});

describe('endpointOf', () => {
  const broker = (withTls: boolean): RunningBroker => {
    const ports = withTls ? { tcp: 1, ws: 2, wss: 3, mqtts: 4 } : { tcp: 1, ws: 2 };
    return {
      name: 'edgemq',
      version: 'test',
      pid: 1,
      pids: [1],
      ports,
      nodes: [ports, withTls ? { tcp: 5, ws: 6, wss: 7, mqtts: 8 } : { tcp: 5, ws: 6 }],
      wsPath: '/mqtt',
      tls: withTls ? { certFile: 'c', keyFile: 'k', cert: 'PEM' } : undefined,
      output: () => '',
      stop: async () => {},
    };
  };

  it('picks the port of each transport and node; TLS endpoints carry the certificate', () => {
    const b = broker(true);
    expect(endpointOf(b, 'tcp')).toEqual({ transport: 'tcp', host: '127.0.0.1', port: 1, path: '/mqtt' });
    expect(endpointOf(b, 'ws', 1).port).toBe(6);
    expect(endpointOf(b, 'wss', 1)).toMatchObject({
      port: 7,
      tls: { ca: 'PEM', servername: 'localhost' },
    });
    expect(endpointOf(b, 'mqtts').port).toBe(4);
  });

  it('a broker started without a certificate has no wss or mqtts endpoint', () => {
    expect(() => endpointOf(broker(false), 'wss')).toThrow(/no wss listener/);
    expect(() => endpointOf(broker(false), 'mqtts')).toThrow(/no mqtts listener/);
  });
});
