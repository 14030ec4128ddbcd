// What a protocol (MQTT, AMQP 0-9-1) offers the node: a name that WebSocket protocol
// selection routes on, the TCP listeners it wants, one acceptor for byte connections from
// either transport, its gauges, and a graceful stop. The node iterates a list of these and
// names no protocol itself.
import type { Acceptor } from './byte-connection.js';
import type { WsProtocol } from './protocol-selection.js';

/** A TCP port a protocol listens on, plain or with the node's TLS certificate. */
export interface TcpListenerSpec {
  /** Names the bound port in /healthz and the node's ports (`mqtt`, `mqtts`). */
  name: string;
  /** URL scheme of the endpoint printed at start-up (`mqtt`, `mqtts`). */
  scheme: string;
  port: number;
  tls: boolean;
  /** Bytes buffered per socket before write() reports full. */
  maxBufferedBytes: number;
}

/** A number the node exports on /metrics, read at scrape time. */
export interface ProtocolGauge {
  name: string;
  help: string;
  read(): number;
}

export interface ProtocolServer {
  /** The protocol WebSocket selection picks (Sec-WebSocket-Protocol token or path). */
  readonly name: WsProtocol;
  /** The path clients conventionally use on the HTTP port (`/mqtt`), for the endpoint list. */
  readonly webSocketPath: string;
  /** The TCP listeners it wants: plain ones always, TLS ones when the node has a certificate. */
  tcpListeners(withTls: boolean): TcpListenerSpec[];
  /** Makes the protocol's connection for a byte connection from WebSocket or TCP alike. */
  readonly acceptor: Acceptor;
  readonly connectionCount: number;
  /** Gauges of its own (beyond connections, which the node exports per protocol). */
  gauges(): ProtocolGauge[];
  /** Graceful stop: tell clients why, close them, wait until their sessions are saved. */
  closeAll(): Promise<void>;
}
