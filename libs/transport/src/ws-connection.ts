// ByteConnection over one uWebSockets.js WebSocket. Every write is one binary message;
// uWS keeps what the kernel does not take, and we report "full" past a soft limit so the
// protocol can drop or hold optional traffic before uWS's hard limit closes the socket.
import type { WebSocket } from 'uWebSockets.js';
import type { ByteConnection, ConnectionHandler, TransportKind } from './byte-connection.js';
import type { WsProtocol } from './protocol-selection.js';

export interface WsUserData {
  protocol: WsProtocol;
  remoteAddress: string;
  connection?: WsByteConnection;
}

export class WsByteConnection implements ByteConnection {
  handler?: ConnectionHandler;
  closed = false;

  constructor(
    private readonly ws: WebSocket<WsUserData>,
    readonly transport: TransportKind,
    readonly remoteAddress: string,
    private readonly softLimitBytes: number,
  ) {}

  write(data: Uint8Array): boolean {
    if (this.closed) return false;
    this.ws.send(data, true, false);
    return this.ws.getBufferedAmount() <= this.softLimitBytes;
  }

  bufferedBytes(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }

  cork(fn: () => void): void {
    if (this.closed) {
      fn();
      return;
    }
    this.ws.cork(fn);
  }

  end(): void {
    if (!this.closed) this.ws.end(1000);
  }

  endWith(code: number, reason: string): void {
    if (!this.closed) this.ws.end(code, reason);
  }

  destroy(): void {
    if (!this.closed) this.ws.close();
  }

  /** uWS drain: tell the protocol once we are back under the soft limit. */
  drained(): void {
    if (!this.closed && this.ws.getBufferedAmount() <= this.softLimitBytes) this.handler?.onDrain();
  }

  /** uWS close: the WebSocket object must not be touched after this. */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler?.onClose();
  }
}
