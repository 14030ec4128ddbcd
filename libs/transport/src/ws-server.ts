// The HTTP/WebSocket port: one uWebSockets.js app serving HTTP routes and WebSocket
// upgrades, handing each WebSocket to the protocol chosen by selectProtocol().
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, WebSocket } from 'uWebSockets.js';
import type { Acceptor } from './byte-connection.js';
import { type HttpReply, type HttpRequestInfo, type HttpRoute, statusLine } from './http-routes.js';
import { bindAddresses } from './loopback.js';
import { selectProtocol, type WsProtocol } from './protocol-selection.js';
import { readTlsFiles, type TlsFiles } from './tls-files.js';
import { loadUws } from './uws.js';
import { WsByteConnection, type WsUserData } from './ws-connection.js';

export interface WsServerOptions {
  host: string;
  port: number;
  /** Largest WebSocket message accepted. */
  maxPayloadBytes: number;
  idleTimeoutSec: number;
  /** Bytes buffered per socket before write() reports full. */
  maxBackpressureBytes: number;
  acceptors: Partial<Record<WsProtocol, Acceptor>>;
  routes: HttpRoute[];
  /** Serve HTTPS and WebSocket over TLS (wss://) with this certificate. */
  tls?: TlsFiles;
}

// WebSocket close codes (RFC 6455 §7.4.1).
const CLOSE_UNSUPPORTED_DATA = 1003;
const CLOSE_GOING_AWAY = 1001;
// uWS closes a socket whose buffer passes this; the soft limit keeps us well below it.
const HARD_BACKPRESSURE_FACTOR = 16;
const MIN_HARD_BACKPRESSURE = 64 * 1024 * 1024;
/**
 * uWS listens with SO_REUSEPORT unless told otherwise, so a second node on the same port
 * would start without error and take half of the connections and HTTP requests. Exclusive,
 * the bind fails like the TCP listener's EADDRINUSE. (ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT;
 * the typings only declare it without a host, the addon takes host, port, options.)
 */
const LISTEN_EXCLUSIVE_PORT = 1;
type ListenWithOptions = (
  host: string,
  port: number,
  options: number,
  cb: (socket: us_listen_socket | false) => void,
) => void;

export class WsServer {
  private readonly app: TemplatedApp;
  private readonly listenSockets: us_listen_socket[] = [];
  private readonly sockets = new Set<WebSocket<WsUserData>>();
  private boundPort = 0;

  constructor(private readonly options: WsServerOptions) {
    const { tls } = options;
    if (tls) readTlsFiles(tls); // uWS reads the files itself, but says less when they are wrong
    this.app = tls
      ? loadUws().SSLApp({
          cert_file_name: tls.certFile,
          key_file_name: tls.keyFile,
          passphrase: tls.passphrase,
        })
      : loadUws().App();
    this.registerWebSocket();
    for (const route of options.routes) this.registerRoute(route);
    this.app.any('/*', (res) => {
      res.writeStatus(statusLine(404)).end('not found');
    });
  }

  get port(): number {
    return this.boundPort;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  async listen(): Promise<number> {
    const uws = loadUws();
    let port = this.options.port;
    const listen = this.app.listen.bind(this.app) as unknown as ListenWithOptions;
    for (const address of bindAddresses(this.options.host)) {
      const socket = await new Promise<us_listen_socket | false>((resolve) =>
        listen(address, port, LISTEN_EXCLUSIVE_PORT, resolve),
      );
      if (!socket) {
        // uWS says no more than "no": the usual reason is another process on the port.
        const what = this.options.tls ? 'HTTPS/WebSocket over TLS (wss)' : 'HTTP/WebSocket';
        throw new Error(
          `cannot listen for ${what} on ${address} port ${port}: the port is in use or the address cannot be bound`,
        );
      }
      this.listenSockets.push(socket);
      port = uws.us_socket_local_port(socket);
    }
    this.boundPort = port;
    return port;
  }

  /** Stops accepting; existing sockets stay open until closeAll(). */
  stopListening(): void {
    const uws = loadUws();
    for (const socket of this.listenSockets.splice(0)) uws.us_listen_socket_close(socket);
  }

  closeAll(): void {
    for (const ws of [...this.sockets]) ws.end(CLOSE_GOING_AWAY, 'server shutting down');
  }

  private registerWebSocket(): void {
    const { maxPayloadBytes, idleTimeoutSec, maxBackpressureBytes, acceptors } = this.options;
    const transport = this.options.tls ? 'wss' : 'ws';
    this.app.ws<WsUserData>('/*', {
      maxPayloadLength: maxPayloadBytes,
      idleTimeout: idleTimeoutSec,
      maxBackpressure: Math.max(maxBackpressureBytes * HARD_BACKPRESSURE_FACTOR, MIN_HARD_BACKPRESSURE),
      closeOnBackpressureLimit: 1,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        // Copy everything out of req now: uWS invalidates it when this callback returns.
        const key = req.getHeader('sec-websocket-key');
        const offered = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        const path = req.getUrl();
        const choice = selectProtocol(offered, path);
        const headers: Record<string, string> = {};
        req.forEach((name, value) => {
          headers[name] = value;
        });
        const upgrade = { path, query: req.getQuery() ?? '', headers };
        res.upgrade<WsUserData>(
          { protocol: choice.protocol, upgrade },
          key,
          choice.token ?? '',
          extensions,
          context,
        );
      },
      open: (ws) => {
        this.sockets.add(ws);
        const data = ws.getUserData();
        const acceptor = acceptors[data.protocol];
        if (!acceptor) {
          ws.end(
            CLOSE_UNSUPPORTED_DATA,
            `${data.protocol.toUpperCase()} over WebSocket is not yet supported`,
          );
          return;
        }
        const connection = new WsByteConnection(ws, transport, maxBackpressureBytes, data.upgrade);
        data.upgrade = undefined;
        data.connection = connection;
        connection.handler = acceptor(connection);
      },
      message: (ws, message, isBinary) => {
        const connection = ws.getUserData().connection;
        if (!connection) return;
        if (!isBinary) {
          // MQTT/AMQP over WebSocket are binary protocols [MQTT-6.0.0-1].
          ws.end(CLOSE_UNSUPPORTED_DATA, 'binary frames only');
          return;
        }
        // Lent, not copied: uWS reuses `message` after this callback, and onData copies
        // whatever it keeps (see ConnectionHandler.onData).
        connection.handler?.onData(Buffer.from(message));
      },
      drain: (ws) => ws.getUserData().connection?.drained(),
      close: (ws) => {
        this.sockets.delete(ws);
        ws.getUserData().connection?.markClosed();
      },
    });
  }

  private registerRoute(route: HttpRoute): void {
    this.app[route.method](route.path, (res: HttpResponse, req: HttpRequest) => {
      const headers: Record<string, string> = {};
      req.forEach((k, v) => {
        headers[k] = v;
      });
      const info: HttpRequestInfo = {
        method: req.getMethod(),
        path: req.getUrl(),
        query: req.getQuery() ?? '',
        headers,
      };
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      Promise.resolve()
        .then(() => route.handle(info))
        .catch((error: unknown): HttpReply => ({ status: 500, body: String(error) }))
        .then((reply) => {
          if (aborted) return;
          res.cork(() => {
            res.writeStatus(statusLine(reply.status));
            for (const [k, v] of Object.entries(reply.headers ?? {})) res.writeHeader(k, v);
            res.end(reply.body);
          });
        });
    });
  }
}
