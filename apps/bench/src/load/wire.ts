// The byte pipe under a load-generator client: MQTT over plain TCP (`mqtt://`) or over
// WebSocket (`ws://.../mqtt`, subprotocol `mqtt`, binary frames). One `write` is one
// `socket.write` / `ws.send`, so a caller that batches packets gets one syscall (one frame)
// per batch. `writable` goes false past a high-water mark and `onDrain` fires when it is
// writable again; open-loop publishers skip sends meanwhile instead of buffering forever.
import net from 'node:net';
import WebSocket from 'ws';

export type Transport = 'tcp' | 'ws';

export interface Endpoint {
  transport: Transport;
  host: string;
  port: number;
  /** WebSocket path, e.g. `/mqtt`. */
  path: string;
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
  return endpoint.transport === 'tcp' ? openTcp(endpoint) : openWs(endpoint);
}

function openTcp({ host, port }: Endpoint): Promise<Wire> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
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

function openWs({ host, port, path }: Endpoint): Promise<Wire> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${host}:${port}${path}`, ['mqtt'], { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      // `_socket` is ws's own net.Socket; Nagle off like the TCP wire.
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
