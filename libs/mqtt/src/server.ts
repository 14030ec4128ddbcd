// The MQTT protocol as the node sees it (a ProtocolServer): the listeners it wants, an
// Acceptor that makes an MqttConnection per byte connection from WebSocket or TCP, and a
// registry of live connections for gauges and graceful shutdown.
import type { AccessControl } from '@edgemq/access';
import type { Broker } from '@edgemq/core';
import type { Acceptor, ProtocolGauge, ProtocolServer, TcpListenerSpec } from '@edgemq/transport';
import { type ConnectionLogger, MqttConnection } from './connection.js';
import type { MqttOptions } from './options.js';
import { ReasonCode } from './reason-codes.js';
import { sendDisconnect } from './send.js';

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

  readonly acceptor: Acceptor = (link) => {
    const conn = new MqttConnection(link, this.broker, this.options, this.access, this.logger, this.ended);
    this.connections.add(conn);
    return conn;
  };

  /** Graceful stop: tell 5.0 clients why (0x8B), close every connection, and wait for sessions to be saved. */
  async closeAll(): Promise<void> {
    const handedBack: Promise<void>[] = [];
    for (const conn of [...this.connections]) {
      conn.corked(() => sendDisconnect(conn, ReasonCode.serverShuttingDown));
      handedBack.push(conn.takeOverForShutdown());
    }
    await Promise.all(handedBack);
  }
}
