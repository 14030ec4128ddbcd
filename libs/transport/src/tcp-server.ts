// TCP listener (node:net), or TLS over TCP (node:tls) when given a certificate, that hands
// each socket to one protocol as a ByteConnection.
import net from 'node:net';
import tls from 'node:tls';
import type { Acceptor, ByteConnection, ConnectionHandler, TransportKind } from './byte-connection.js';
import type { ConnectionHandshake, PeerCertificate } from './handshake.js';
import { bindAddresses } from './loopback.js';
import { readTlsFiles, type TlsFiles } from './tls-files.js';
import { CorkedOutput } from './write-batch.js';

export interface TcpServerOptions {
  host: string;
  port: number;
  /** Bytes buffered per socket before write() reports full. */
  maxBufferedBytes: number;
  acceptor: Acceptor;
  /** Serve TLS (mqtts://) with this certificate. */
  tls?: TlsFiles;
  /**
   * Ask TLS clients for a certificate (not verified here: access control decides what a
   * certificate is worth). Clients without one still connect.
   */
  requestClientCertificate?: boolean;
}

/** After end() flushed everything to the kernel: how long the peer has to close its side. */
const END_GRACE_MS = 2000;
/** After end(): the longest a socket waits for its output to leave (a reader that never reads). */
const END_LIMIT_MS = 10_000;

class TcpByteConnection extends CorkedOutput implements ByteConnection {
  handler?: ConnectionHandler;
  /** write() has reported full since the last onDrain. */
  private full = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly softLimitBytes: number,
    readonly transport: TransportKind,
  ) {
    super();
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  takeHandshake(): ConnectionHandshake {
    const handshake: ConnectionHandshake = {
      transport: this.transport,
      remoteAddress: this.remoteAddress,
      remotePort: this.socket.remotePort,
    };
    const certificate = peerCertificateOf(this.socket);
    if (certificate) handshake.peerCertificate = certificate;
    return handshake;
  }

  get closed(): boolean {
    return this.socket.destroyed || this.socket.writableEnded;
  }

  write(data: Uint8Array): boolean {
    if (this.closed) return false;
    this.queue(data);
    if (this.socket.writableLength + this.queuedBytes <= this.softLimitBytes) return true;
    this.full = true;
    return false;
  }

  bufferedBytes(): number {
    return this.socket.writableLength + this.queuedBytes;
  }

  /** Writes are corked per turn anyway: fn's writes leave together with the rest. */
  cork(fn: () => void): void {
    fn();
  }

  /** Hands what was written this turn to the socket as one write. */
  flush(): void {
    const data = this.takeQueued();
    if (data === undefined || this.closed) return;
    this.socket.write(data);
    if (this.full && this.socket.writableLength <= this.softLimitBytes) this.drained();
  }

  /** Under the soft limit again (socket 'drain', or a flush that the kernel took whole). */
  drained(): void {
    if (this.socket.writableLength + this.queuedBytes > this.softLimitBytes) return;
    this.full = false;
    this.handler?.onDrain();
  }

  end(): void {
    if (this.closed) return;
    this.flush();
    const socket = this.socket;
    // FIN goes after what is buffered (a DISCONNECT last of all); meanwhile the socket is
    // still read, so the close is not a reset that would throw away what the peer has not
    // read yet. Destroyed only once the peer had time to close after the output left, or
    // when a reader that never reads has had long enough.
    socket.end();
    const destroy = () => socket.destroy();
    const limit = setTimeout(destroy, END_LIMIT_MS).unref();
    socket.once('finish', () => {
      clearTimeout(limit);
      setTimeout(destroy, END_GRACE_MS).unref();
    });
  }

  destroy(): void {
    this.dropQueued();
    this.socket.destroy();
  }
}

export class TcpServer {
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private boundPort = 0;

  constructor(private readonly options: TcpServerOptions) {}

  get port(): number {
    return this.boundPort;
  }

  async listen(): Promise<number> {
    let port = this.options.port;
    const material = this.options.tls ? readTlsFiles(this.options.tls) : undefined;
    for (const host of bindAddresses(this.options.host)) {
      // Node emits 'drain' only after write() returned false, i.e. past the high-water mark:
      // making it our soft limit keeps "full" and 'drain' in step.
      const highWaterMark = Math.max(1, this.options.maxBufferedBytes);
      const options = { noDelay: true, highWaterMark };
      const askForCertificate = this.options.requestClientCertificate
        ? { requestCert: true, rejectUnauthorized: false }
        : {};
      const server = material
        ? tls.createServer({ ...options, ...material, ...askForCertificate }, (socket) =>
            this.accept(socket, 'tls'),
          )
        : net.createServer(options, (socket) => this.accept(socket, 'tcp'));
      // A failed handshake only ends that socket.
      server.on('tlsClientError', () => undefined);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.servers.push(server);
      port = (server.address() as net.AddressInfo).port;
    }
    this.boundPort = port;
    return port;
  }

  stopListening(): void {
    for (const server of this.servers.splice(0)) server.close();
  }

  closeAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  private accept(socket: net.Socket, transport: TransportKind): void {
    this.sockets.add(socket);
    const connection = new TcpByteConnection(socket, this.options.maxBufferedBytes, transport);
    const handler = this.options.acceptor(connection);
    connection.handler = handler;
    let closed = false;
    socket.on('data', (chunk) => handler.onData(chunk));
    socket.on('drain', () => connection.drained());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (closed) return;
      closed = true;
      handler.onClose();
    });
  }
}

/** The certificate a TLS client presented, if any (node gives an empty object when none). */
function peerCertificateOf(socket: net.Socket): PeerCertificate | undefined {
  if (!(socket instanceof tls.TLSSocket)) return undefined;
  const certificate = socket.getPeerCertificate();
  if (!certificate?.raw) return undefined;
  return {
    subject: { ...certificate.subject },
    subjectaltname: certificate.subjectaltname,
    fingerprint256: certificate.fingerprint256,
    raw: certificate.raw,
  };
}
