// One EdgeMQ node: builds backbone, broker, protocol servers and listeners from config,
// and takes them down again in order on stop().

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Backbone, MemoryBackbone, RedisBackbone } from '@edgemq/backbone';
import type { EdgeConfig } from '@edgemq/config';
import { Broker, NodeWatch } from '@edgemq/core';
import { MqttServer } from '@edgemq/mqtt';
import { TcpServer, type TlsFiles, WsServer } from '@edgemq/transport';
import { httpRoutes, type NodeStatus } from './http-api.js';
import { createLogger, type Logger } from './logger.js';

export interface NodePorts {
  http: number;
  mqtt: number;
  wss?: number;
  mqtts?: number;
}

export interface EdgeNode {
  readonly nodeId: string;
  /** Bound ports; wss and mqtts only with TLS listeners (tls.certFile). */
  readonly ports: NodePorts;
  readonly endpoints: string[];
  readonly broker: Broker;
  readonly logger: Logger;
  status(): NodeStatus;
  stop(): Promise<void>;
}

/** Redis when a URL is configured (clustered mode), otherwise the in-process backbone. */
function createBackbone(config: EdgeConfig, nodeId: string): Backbone {
  const { url, mode, sentinelName, keyPrefix, shards, logMaxLen, blockTimeMs } = config.redis;
  if (!url) return new MemoryBackbone({ nodeId });
  return new RedisBackbone({ url, mode, sentinelName, nodeId, keyPrefix, shards, logMaxLen, blockTimeMs });
}

export async function startNode(config: EdgeConfig, logger?: Logger): Promise<EdgeNode> {
  const nodeId = config.nodeId ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const log = logger ?? createLogger(config.logLevel, nodeId);
  const backbone = createBackbone(config, nodeId);
  await backbone.start();
  const broker = new Broker(backbone, {
    nodeId,
    maxQueuedMessages: config.mqtt.maxQueuedMessages,
    clustered: backbone.kind !== 'memory',
  });
  await broker.start();
  const watch =
    backbone.kind === 'memory'
      ? undefined
      : new NodeWatch(backbone, broker, {
          heartbeatMs: config.redis.heartbeatMs,
          deadAfterMs: config.redis.nodeDeadAfterMs,
          onAdopted: (dead, sessions) =>
            log.warn({ deadNode: dead, sessions }, 'adopted the sessions of a dead node'),
          onError: (err) => log.warn({ err: String(err) }, 'liveness check failed'),
        });
  await watch?.start();
  const mqtt = new MqttServer(broker, { nodeId, ...config.mqtt }, log);

  const status = (): NodeStatus => ({
    nodeId,
    ports: ports(),
    ready: backbone.isReady(),
    backbone: backbone.kind,
    connections: mqtt.connectionCount,
    sessions: broker.sessionCount,
    subscriptions: broker.subscriptionCount,
    counters: broker.counters.snapshot(),
  });
  const { certFile, keyFile, passphrase } = config.tls;
  const tlsFiles: TlsFiles | undefined = certFile && keyFile ? { certFile, keyFile, passphrase } : undefined;
  const wsListener = (port: number, tls?: TlsFiles) =>
    new WsServer({
      host: config.host,
      port,
      maxPayloadBytes: config.http.maxPayloadBytes,
      idleTimeoutSec: config.http.idleTimeoutSec,
      maxBackpressureBytes: config.http.maxBackpressureBytes,
      acceptors: { mqtt: mqtt.acceptor },
      routes: httpRoutes(status),
      tls,
    });
  const tcpListener = (port: number, tls?: TlsFiles) =>
    new TcpServer({
      host: config.host,
      port,
      maxBufferedBytes: config.mqtt.maxBufferedBytes,
      acceptor: mqtt.acceptor,
      tls,
    });
  // Certificates are checked here, before any port opens.
  const ws = wsListener(config.http.port);
  const tcp = tcpListener(config.mqtt.port);
  const wss = tlsFiles ? wsListener(config.tls.wssPort, tlsFiles) : undefined;
  const mqtts = tlsFiles ? tcpListener(config.tls.mqttsPort, tlsFiles) : undefined;
  const listeners = [ws, tcp, wss, mqtts].filter((l) => l !== undefined);
  for (const listener of listeners) await listener.listen();
  const ports = (): NodePorts => ({
    http: ws.port,
    mqtt: tcp.port,
    ...(wss ? { wss: wss.port } : {}),
    ...(mqtts ? { mqtts: mqtts.port } : {}),
  });

  const shown = config.host.includes(':') ? `[${config.host}]` : config.host;
  const endpoints = [
    `ws://${shown}:${ws.port}/mqtt`,
    `mqtt://${shown}:${tcp.port}`,
    ...(wss ? [`wss://${shown}:${wss.port}/mqtt`] : []),
    ...(mqtts ? [`mqtts://${shown}:${mqtts.port}`] : []),
    `http://${shown}:${ws.port}/`,
  ];
  log.info({ ports: ports(), endpoints }, `EdgeMQ listening: ${endpoints.join('  ')}`);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const listener of listeners) listener.stopListening();
      const drained = mqtt.closeAll();
      const timeout = new Promise((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref());
      await Promise.race([drained, timeout]);
      for (const listener of listeners) listener.closeAll();
      watch?.stop();
      broker.stop();
      await backbone.stop();
      log.info('EdgeMQ stopped');
    })();
    return stopping;
  };

  return { nodeId, ports: ports(), endpoints, broker, logger: log, status, stop };
}
