// The MQTT protocol as the node sees it (a ProtocolServer): the listeners it wants, an
// Acceptor that makes an MqttConnection per byte connection from WebSocket or TCP, and a
// registry of live connections for gauges and graceful shutdown.
import type { AccessControl } from '@edgemq/access';
import type { Broker } from '@edgemq/core';
import type { Acceptor, ProtocolGauge, ProtocolServer, TcpListenerSpec } from '@edgemq/transport';
import { type ConnectionLogger, MqttConnection } from './connection.js';
import type { MqttOptions } from './options.js';

export class MqttServer implements ProtocolServer {
  readonly name = 'mqtt';
  readonly webSocketPath = '/mqtt';
  private readonly connections = new Set<MqttConnection>();

  constructor(
    private readonly broker: Broker,
    private readonly options: MqttOptions,
    private readonly access: AccessControl,
    private readonly logger: ConnectionLogger,
  ) {}

  get connectionCount(): number {
    return this.connections.size;
  }

  tcpListeners(withTls: boolean): TcpListenerSpec[] {
    const { port, tlsPort, maxBufferedBytes } = this.options;
    const plain = { name: 'mqtt', scheme: 'mqtt', port, tls: false, maxBufferedBytes };
    return withTls
      ? [plain, { name: 'mqtts', scheme: 'mqtts', port: tlsPort, tls: true, maxBufferedBytes }]
      : [plain];
  }

  gauges(): ProtocolGauge[] {
    return [];
  }

  private readonly ended = (conn: MqttConnection) => {
    this.connections.delete(conn);
  };

  /** Set by closeAll: a connection the listener had already accepted is shut down at once. */
  private draining?: Promise<void>[];

  readonly acceptor: Acceptor = (link) => {
    const conn = new MqttConnection(link, this.broker, this.options, this.access, this.logger, this.ended);
    this.connections.add(conn);
    // After the transport has the handler (a WebSocket reports its close synchronously).
    this.draining?.push(Promise.resolve().then(() => conn.shutDown()));
    return conn;
  };

  /**
   * Graceful stop: every connection is shut down (5.0 clients get DISCONNECT 0x8B after what
   * is buffered for them). Resolves once every session is saved and every socket closed; the
   * node bounds the wait (shutdownTimeoutMs).
   */
  async closeAll(): Promise<void> {
    const draining = [...this.connections].map((conn) => conn.shutDown());
    this.draining = draining;
    // Connections accepted meanwhile join the list (see acceptor): wait until it stops growing.
    for (let waited = 0; waited < draining.length; ) {
      const count = draining.length;
      await Promise.all(draining.slice(waited));
      waited = count;
    }
  }
}
