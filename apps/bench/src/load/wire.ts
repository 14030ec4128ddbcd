// The byte pipe under a load-generator client: MQTT over plain TCP (`mqtt://`), over TLS
// (`mqtts://`), or over WebSocket, plain (`ws://.../mqtt`) or TLS (`wss://.../mqtt`),
// subprotocol `mqtt`, binary frames. One `write` is one `socket.write` / `ws.send`, so a
// caller that batches packets gets one syscall (one frame, one TLS record or a few) per
// batch. `writable` goes false past a high-water mark and `onDrain` fires when it is
// writable again; open-loop publishers skip sends meanwhile instead of buffering forever.
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';

export const transportNames = ['tcp', 'ws', 'wss', 'mqtts'] as const;
export type Transport = (typeof transportNames)[number];

/** The transports that run over TLS (the broker needs a certificate for them). */
export const isTlsTransport = (t: Transport): boolean => t === 'wss' || t === 'mqtts';

export interface Endpoint {
  transport: Transport;
  host: string;
  port: number;
  /** WebSocket path, e.g. `/mqtt`. */
  path: string;
  /**
   * TLS transports: the broker's (self-signed) certificate in PEM, trusted as the CA, and
   * the name it is checked against (SNI). Plain JSON, so it crosses the worker IPC.
   */
  tls?: { ca: string; servername: string };
}

export interface Wire {
  write(bytes: Buffer): void;
  readonly writable: boolean;
  onData(handler: (chunk: Buffer) => void): void;
  onDrain(handler: () => void): void;
  /** Adds a handler for the end of the connection (several may be added). */
  onClose(handler: (reason: string) => void): void;
  close(): void;
}

const WS_HIGH_WATER = 1 << 20;

export function openWire(endpoint: Endpoint): Promise<Wire> {
  switch (endpoint.transport) {
    case 'tcp':
    case 'mqtts':
      return openStream(endpoint);
    case 'ws':
    case 'wss':
      return openWs(endpoint);
  }
}

function tlsOf(endpoint: Endpoint): NonNullable<Endpoint['tls']> {
  if (endpoint.tls === undefined) throw new Error(`${endpoint.transport}: endpoint has no TLS settings`);
  return endpoint.tls;
}

/** MQTT straight on a TCP socket (`tcp`) or on a TLS socket over TCP (`mqtts`). */
function openStream(endpoint: Endpoint): Promise<Wire> {
  const { host, port } = endpoint;
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    let connected: string;
    if (endpoint.transport === 'mqtts') {
      const { ca, servername } = tlsOf(endpoint);
      socket = tls.connect({ host, port, ca, servername });
      connected = 'secureConnect';
    } else {
      socket = net.connect({ host, port, noDelay: true });
      connected = 'connect';
    }
    socket.once('error', reject);
    socket.once(connected, () => {
      socket.off('error', reject);
      socket.setNoDelay(true);
      let full = false;
      const closeHandlers: ((reason: string) => void)[] = [];
      let lastError = '';
      socket.on('error', (err) => {
        lastError = err.message;
      });
      socket.on('close', () => {
        for (const h of closeHandlers) h(lastError || 'socket closed');
      });
      resolve({
        write(bytes) {
          if (!socket.write(bytes)) full = true;
        },
        get writable() {
          return !full && !socket.destroyed;
        },
        onData(handler) {
          socket.on('data', handler);
        },
        onDrain(handler) {
          socket.on('drain', () => {
            full = false;
            handler();
          });
        },
        onClose(handler) {
          closeHandlers.push(handler);
        },
        close() {
          socket.end();
          socket.destroySoon();
        },
      });
    });
  });
}

function openWs(endpoint: Endpoint): Promise<Wire> {
  const { host, port, path } = endpoint;
  // wss: ws hands `ca` and `servername` to tls.connect.
  const options: WebSocket.ClientOptions =
    endpoint.transport === 'wss'
      ? { perMessageDeflate: false, ...tlsOf(endpoint) }
      : { perMessageDeflate: false };
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${endpoint.transport}://${host}:${port}${path}`, ['mqtt'], options);
    ws.binaryType = 'nodebuffer';
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      // `_socket` is ws's own net.Socket (a tls.TLSSocket for wss); Nagle off like the TCP wire.
      (ws as unknown as { _socket?: net.Socket })._socket?.setNoDelay(true);
      let drainHandler: () => void = () => {};
      const closeHandlers: ((reason: string) => void)[] = [];
      let lastError = '';
      let full = false;
      const sent = () => {
        if (full && ws.bufferedAmount < WS_HIGH_WATER / 2) {
          full = false;
          drainHandler();
        }
      };
      ws.on('error', (err) => {
        lastError = err.message;
      });
      ws.on('close', (code, reason) => {
        const why = lastError || `websocket closed ${code} ${reason.toString()}`.trim();
        for (const h of closeHandlers) h(why);
      });
      resolve({
        write(bytes) {
          ws.send(bytes, { binary: true }, sent);
          if (ws.bufferedAmount >= WS_HIGH_WATER) full = true;
        },
        get writable() {
          return !full && ws.readyState === WebSocket.OPEN;
        },
        onData(handler) {
          ws.on('message', (data) => handler(data as Buffer));
        },
        onDrain(handler) {
          drainHandler = handler;
        },
        onClose(handler) {
          closeHandlers.push(handler);
        },
        close() {
          ws.close();
        },
      });
    });
  });
}
