// A duplex byte connection as the protocol layer sees it: bytes in, bytes out, and
// backpressure. Transports (WebSocket, TCP) implement it; protocols never see sockets.

export type TransportKind = 'ws' | 'wss' | 'tcp' | 'tls';

export interface ConnectionHandler {
  /** A chunk of bytes; it may hold part of a packet or several packets. Owned by the handler. */
  onData(chunk: Buffer): void;
  /** Buffered output fell back under the transport's limit. */
  onDrain(): void;
  /** The connection is gone (either side closed it). Called exactly once. */
  onClose(): void;
}

export interface ByteConnection {
  readonly transport: TransportKind;
  readonly remoteAddress: string;
  /**
   * Queues bytes for sending. Returns false when the bytes buffered for this connection
   * exceed its soft limit: the caller should hold back optional traffic until onDrain.
   */
  write(data: Uint8Array): boolean;
  /** Bytes accepted by write() that the socket has not yet sent. */
  bufferedBytes(): number;
  /** Runs fn with writes batched into as few syscalls as possible. */
  cork(fn: () => void): void;
  /** Sends what is buffered, then closes. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
  readonly closed: boolean;
}

/** Called by a transport for each new connection; returns the protocol's event handler. */
export type Acceptor = (connection: ByteConnection) => ConnectionHandler;
