// A duplex byte connection as the protocol layer sees it: bytes in, bytes out, and
// backpressure. Transports (WebSocket, TCP) implement it; protocols never see sockets.
import type { ConnectionHandshake, TransportKind } from './handshake.js';

export type { TransportKind };

export interface ConnectionHandler {
  /**
   * A chunk of bytes; it may hold part of a packet or several packets. Lent, not given: the
   * transport may reuse its memory once onData returns, so copy whatever must outlive the call.
   */
  onData(chunk: Buffer): void;
  /** Buffered output fell back under the transport's limit. */
  onDrain(): void;
  /** The connection is gone (either side closed it). Called exactly once. */
  onClose(): void;
}

export interface ByteConnection {
  readonly transport: TransportKind;
  /** The peer's IP address (read live; empty once closed over WebSocket). */
  readonly remoteAddress: string;
  /**
   * What the transport knew when the connection opened, for access control: the remote
   * address and port, a WebSocket's upgrade request (path, query, headers), the TLS peer
   * certificate. The request and certificate are handed over once, to the protocol's
   * authentication step, and then forgotten, so an idle connection does not keep them.
   */
  takeHandshake(): ConnectionHandshake;
  /**
   * Queues bytes for sending. Writes are corked: those of one event-loop turn leave together
   * after the turn's I/O callbacks (one WebSocket message, one socket write), in order. The
   * bytes are kept, not copied: do not change them afterwards. Returns false when the bytes
   * buffered for this connection exceed its soft limit: the caller should hold back optional
   * traffic until onDrain.
   */
  write(data: Uint8Array): boolean;
  /** Bytes accepted by write() that the socket has not yet sent. */
  bufferedBytes(): number;
  /** Runs fn with writes batched into as few syscalls as possible (every write is, now). */
  cork(fn: () => void): void;
  /** Sends what is buffered (corked writes too), then closes. */
  end(): void;
  /** Closes at once; corked writes are dropped. */
  destroy(): void;
  readonly closed: boolean;
}

/** Called by a transport for each new connection; returns the protocol's event handler. */
export type Acceptor = (connection: ByteConnection) => ConnectionHandler;
