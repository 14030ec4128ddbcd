// One EdgeMQ node: builds backbone, broker, protocol servers and listeners from config,
// and takes them down again in order on stop().

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Backbone, MemoryBackbone, RedisBackbone } from '@edgemq/backbone';
import type { EdgeConfig } from '@edgemq/config';
import { Broker, NodeWatch } from '@edgemq/core';
import { MqttServer } from '@edgemq/mqtt';
import { TcpServer, WsServer } from '@edgemq/transport';
import { httpRoutes, type NodeStatus } from './http-api.js';
import { createLogger, type Logger } from './logger.js';

export interface EdgeNode {
  readonly nodeId: string;
  readonly ports: { http: number; mqtt: number };
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
    ports: { http: ws.port, mqtt: tcp.port },
    ready: backbone.isReady(),
    backbone: backbone.kind,
    connections: mqtt.connectionCount,
    sessions: broker.sessionCount,
    subscriptions: broker.subscriptionCount,
    counters: broker.counters.snapshot(),
  });
  const ws = new WsServer({
    host: config.host,
    port: config.http.port,
    maxPayloadBytes: config.http.maxPayloadBytes,
    idleTimeoutSec: config.http.idleTimeoutSec,
    maxBackpressureBytes: config.http.maxBackpressureBytes,
    acceptors: { mqtt: mqtt.acceptor },
    routes: httpRoutes(status),
  });
  const tcp = new TcpServer({
    host: config.host,
    port: config.mqtt.port,
    maxBufferedBytes: config.mqtt.maxBufferedBytes,
    acceptor: mqtt.acceptor,
  });
  await ws.listen();
  await tcp.listen();

  const shown = config.host.includes(':') ? `[${config.host}]` : config.host;
  const endpoints = [
    `ws://${shown}:${ws.port}/mqtt`,
    `mqtt://${shown}:${tcp.port}`,
    `http://${shown}:${ws.port}/`,
  ];
  log.info(
    { ports: { http: ws.port, mqtt: tcp.port }, endpoints },
    `EdgeMQ listening: ${endpoints.join('  ')}`,
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      ws.stopListening();
      tcp.stopListening();
      const drained = mqtt.closeAll();
      const timeout = new Promise((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref());
      await Promise.race([drained, timeout]);
      ws.closeAll();
      tcp.closeAll();
      watch?.stop();
      broker.stop();
      await backbone.stop();
      log.info('EdgeMQ stopped');
    })();
    return stopping;
  };

  return { nodeId, ports: { http: ws.port, mqtt: tcp.port }, endpoints, broker, logger: log, status, stop };
}
