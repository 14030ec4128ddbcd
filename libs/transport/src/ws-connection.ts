// ByteConnection over one uWebSockets.js WebSocket. Writes are corked: what the protocol
// writes during one event-loop turn leaves as one binary message (MQTT over WebSocket
// lets packets share a message [MQTT-6.0.0-4]). uWS keeps what the kernel does not take,
// and we report "full" past a soft limit so the protocol can drop or hold optional
// traffic before uWS's hard limit closes the socket.

import type { WebSocket } from 'uWebSockets.js';
import type { ByteConnection, ConnectionHandler, TransportKind } from './byte-connection.js';
import type { ConnectionHandshake } from './handshake.js';
import type { WsProtocol } from './protocol-selection.js';
import { CorkedOutput, Scratch } from './write-batch.js';

/** The upgrade request as copied out of uWS (its HttpRequest dies with the callback). */
export interface UpgradeRequest {
  path: string;
  query: string;
  headers: Record<string, string>;
}

export interface WsUserData {
  protocol: WsProtocol;
  /** Until the connection is made, then it holds it (see takeHandshake). */
  upgrade?: UpgradeRequest;
  connection?: WsByteConnection;
}

// uWS copies what it sends before send() returns, so one join buffer serves every socket.
const scratch = new Scratch();
/**
 * Writes of one turn are joined into WebSocket messages of at most this size (a larger
 * packet goes alone), so a burst to one client does not become one huge message.
 */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** After end(): the longest a socket waits for its output to leave before it is closed. */
const END_LIMIT_MS = 10_000;
/** After our close: time for the peer to read what was sent before the close counts as done. */
const CLOSE_LINGER_MS = 500;
let sendingWs: WebSocket<WsUserData> | undefined;
let sendingData: Uint8Array | undefined;
function sendCorked(): void {
  sendingWs!.send(sendingData!, true, false);
}

export class WsByteConnection extends CorkedOutput implements ByteConnection {
  handler?: ConnectionHandler;
  closed = false;
  /** uWS's buffered amount as of the last flush or drain (it only falls in between). */
  private sentBuffered = 0;
  /** write() has reported full since the last onDrain. */
  private full = false;
  /** end() was called with output still buffered: closes when it has left, or on this timer. */
  private ending?: NodeJS.Timeout;
  /** The close is ours (end()), not the peer's. */
  private endedByUs = false;

  constructor(
    private readonly ws: WebSocket<WsUserData>,
    readonly transport: TransportKind,
    private readonly softLimitBytes: number,
    /** Dropped once taken: an idle connection does not keep its upgrade headers. */
    private upgrade: UpgradeRequest | undefined,
  ) {
    super();
  }

  takeHandshake(): ConnectionHandshake {
    const handshake: ConnectionHandshake = { transport: this.transport, remoteAddress: this.remoteAddress };
    if (this.upgrade) handshake.webSocket = this.upgrade;
    this.upgrade = undefined;
    return handshake;
  }

  /** Read from uWS when asked (no string kept per connection); empty once closed. */
  get remoteAddress(): string {
    return this.closed ? '' : Buffer.from(this.ws.getRemoteAddressAsText()).toString();
  }

  write(data: Uint8Array): boolean {
    if (this.closed) return false;
    this.queue(data);
    if (this.sentBuffered + this.queuedBytes <= this.softLimitBytes) return true;
    this.full = true;
    return false;
  }

  bufferedBytes(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount() + this.queuedBytes;
  }

  /** Writes are corked per turn anyway: fn's writes leave together with the rest. */
  cork(fn: () => void): void {
    fn();
  }

  /** Sends what was written this turn as one WebSocket message. */
  flush(): void {
    if (this.closed) {
      this.dropQueued();
      return;
    }
    this.sendQueuedInBatches(MAX_MESSAGE_BYTES, scratch);
    if (this.closed) return; // uWS closes a socket past its hard backpressure limit
    this.sentBuffered = this.ws.getBufferedAmount();
    if (this.full && this.sentBuffered <= this.softLimitBytes) {
      this.full = false;
      this.handler?.onDrain();
    }
  }

  /** One binary message, corked so that it leaves in one write. */
  protected override sendBatch(data: Uint8Array): void {
    if (this.closed) return;
    sendingWs = this.ws;
    sendingData = data;
    try {
      this.ws.cork(sendCorked);
    } finally {
      sendingWs = undefined;
      sendingData = undefined;
    }
  }

  end(): void {
    if (this.closed || this.ending) return;
    this.flush();
    if (this.closed) return;
    // uWS keeps what the kernel did not take, but end() makes it report the close at once,
    // and nothing tells us when the rest has left: a node stopping then would drop it (a
    // DISCONNECT last of all). So the close waits until uWS's buffer is empty (see drained),
    // or a bounded time.
    if (this.ws.getBufferedAmount() === 0) {
      this.endNow();
      return;
    }
    this.ending = setTimeout(() => this.endNow(), END_LIMIT_MS).unref();
  }

  private endNow(): void {
    if (this.closed) return;
    this.endedByUs = true;
    this.ws.end(1000);
  }

  endWith(code: number, reason: string): void {
    if (this.closed) return;
    this.flush();
    if (!this.closed) this.ws.end(code, reason);
  }

  destroy(): void {
    this.dropQueued();
    if (!this.closed) this.ws.close();
  }

  /** uWS drain: tell the protocol once we are back under the soft limit. */
  drained(): void {
    if (this.closed) return;
    this.sentBuffered = this.ws.getBufferedAmount();
    if (this.ending) {
      // Closing once everything written has left (see end()), outside uWS's drain callback.
      if (this.sentBuffered === 0) setImmediate(() => this.endNow());
      return;
    }
    if (this.sentBuffered + this.queuedBytes <= this.softLimitBytes) {
      this.full = false;
      this.handler?.onDrain();
    }
  }

  /** uWS close: the WebSocket object must not be touched after this. */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.ending);
    this.dropQueued();
    const handler = this.handler;
    // uWS reports a close we asked for at once, while it still sends the close frame and
    // waits for the peer's: reported after a linger, so that a stopping node does not exit
    // (resetting the socket, and what the peer has not read yet) right away.
    if (this.endedByUs && handler) setTimeout(() => handler.onClose(), CLOSE_LINGER_MS).unref();
    else handler?.onClose();
  }
}
