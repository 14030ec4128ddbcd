// What a transport hands the access seam when a connection opens (takeHandshake): the
// remote address and port, a WebSocket's upgrade request, a TLS client's certificate; the
// bulky parts once, so an idle connection does not keep them.
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { selfSignedCertificate, type TestCertificate, waitFor } from '@edgemq/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Acceptor, ByteConnection } from '../src/byte-connection.js';
import type { ConnectionHandshake } from '../src/handshake.js';
import { TcpServer } from '../src/tcp-server.js';
import { WsServer } from '../src/ws-server.js';

const taken: Array<{ first: ConnectionHandshake; second: ConnectionHandshake; link: ByteConnection }> = [];
const acceptor: Acceptor = (link) => {
  taken.push({ first: link.takeHandshake(), second: link.takeHandshake(), link });
  return { onData: () => undefined, onDrain: () => undefined, onClose: () => undefined };
};

let serverCert: TestCertificate;
let clientCert: TestCertificate;
beforeAll(async () => {
  [serverCert, clientCert] = await Promise.all([selfSignedCertificate(), selfSignedCertificate()]);
});
afterAll(async () => {
  await Promise.all([serverCert?.remove(), clientCert?.remove()]);
});

describe('ByteConnection.takeHandshake', () => {
  it('a WebSocket hands over its upgrade path, query and headers once', async () => {
    const server = new WsServer({
      host: '127.0.0.1',
      port: 0,
      maxPayloadBytes: 1024,
      idleTimeoutSec: 10,
      maxBackpressureBytes: 1024,
      acceptors: { mqtt: acceptor },
      routes: [],
    });
    await server.listen();
    const before = taken.length;
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/mqtt?token=t1`, 'mqtt', {
      headers: { authorization: 'Bearer abc' },
    });
    try {
      await waitFor(() => taken.length > before, 5000);
      const { first, second } = taken[taken.length - 1];
      expect(first).toMatchObject({ transport: 'ws', remoteAddress: '127.0.0.1' });
      expect(first.webSocket).toMatchObject({ path: '/mqtt', query: 'token=t1' });
      expect(first.webSocket?.headers.authorization).toBe('Bearer abc');
      expect(second.webSocket).toBeUndefined();
      expect(second.remoteAddress).toBe('127.0.0.1');
    } finally {
      ws.terminate();
      server.stopListening();
      server.closeAll();
    }
  });

  it('TLS over TCP hands over the remote port and the client certificate it asked for', async () => {
    const server = new TcpServer({
      host: '127.0.0.1',
      port: 0,
      maxBufferedBytes: 1024,
      acceptor,
      tls: { certFile: serverCert.certFile, keyFile: serverCert.keyFile },
      requestClientCertificate: true,
    });
    await server.listen();
    const before = taken.length;
    const socket = tls.connect({
      host: '127.0.0.1',
      port: server.port,
      rejectUnauthorized: false,
      cert: clientCert.cert,
      key: await readFile(clientCert.keyFile, 'utf8'),
    });
    try {
      await waitFor(() => taken.length > before, 5000);
      const { first, second } = taken[taken.length - 1];
      expect(first).toMatchObject({
        transport: 'tls',
        remoteAddress: '127.0.0.1',
        remotePort: socket.localPort,
      });
      expect(first.peerCertificate?.subject.CN).toBe('localhost');
      expect(first.peerCertificate?.raw.length).toBeGreaterThan(0);
      expect(second.remotePort).toBe(socket.localPort);
    } finally {
      socket.destroy();
      server.stopListening();
      server.closeAll();
    }
  });
});
