// One EdgeMQ node: builds backbone, broker, protocol servers and listeners from config,
// and takes them down again in order on stop(). Protocols come from protocols.ts; this file
// names none of them.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type AccessControl, allowAll } from '@edgemq/access';
import { type Backbone, MemoryBackbone, RedisBackbone } from '@edgemq/backbone';
import type { EdgeConfig } from '@edgemq/config';
import { Broker, NodeWatch, setLongTimeout } from '@edgemq/core';
import { type ProtocolServer, TcpServer, type TlsFiles, WsServer } from '@edgemq/transport';
import { httpRoutes } from './http-api.js';
import { createLogger, type Logger } from './logger.js';
import type { NodeStatus } from './node-status.js';
import { createProtocols } from './protocols.js';

/** Bound ports by listener: `http`, `wss` with TLS, and each protocol's TCP listeners (`mqtt`, `mqtts`…). */
export type NodePorts = { http: number; wss?: number } & Record<string, number>;

export interface EdgeNode {
  readonly nodeId: string;
  /** Bound ports; TLS listeners only with a certificate (tls.certFile). */
  readonly ports: NodePorts;
  readonly endpoints: string[];
  readonly broker: Broker;
  readonly protocols: readonly ProtocolServer[];
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

export interface NodeOptions {
  /** Who may connect, publish and subscribe; allowAll when not given. */
  access?: AccessControl;
}

export async function startNode(
  config: EdgeConfig,
  logger?: Logger,
  options: NodeOptions = {},
): Promise<EdgeNode> {
  const nodeId = config.nodeId ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const log = logger ?? createLogger(config.logLevel, nodeId);
  const backbone = createBackbone(config, nodeId);
  await backbone.start();
  const broker = new Broker(backbone, {
    nodeId,
    maxQueuedMessages: config.mqtt.maxQueuedMessages,
    queueOverflow: config.mqtt.queueOverflow,
    // Three missed heartbeats, and never later than the node is declared dead.
    nodeSuspectAfterMs: Math.min(3 * config.redis.heartbeatMs, config.redis.nodeDeadAfterMs),
    clustered: backbone.kind !== 'memory',
    logger: log.child({ component: 'core' }),
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
  const protocols = createProtocols(config, nodeId, broker, options.access ?? allowAll, log);
  /** Each protocol's endpoints, filled in once every listener is bound. */
  const protocolEndpoints = new Map<ProtocolServer, string[]>();
  let endpoints: string[] = [];

  const status = (): NodeStatus => ({
    nodeId,
    ports: ports(),
    endpoints,
    ready: backbone.isReady(),
    backbone: backbone.kind,
    connections: protocols.reduce((n, p) => n + p.connectionCount, 0),
    protocols: Object.fromEntries(
      protocols.map((p) => [
        p.name,
        { connections: p.connectionCount, endpoints: protocolEndpoints.get(p) ?? [] },
      ]),
    ),
    sessions: broker.sessionCount,
    subscriptions: broker.subscriptionCount,
    counters: broker.counters.snapshot(),
  });
  const { certFile, keyFile, passphrase } = config.tls;
  const tlsFiles: TlsFiles | undefined = certFile && keyFile ? { certFile, keyFile, passphrase } : undefined;
  const acceptors = Object.fromEntries(protocols.map((p) => [p.name, p.acceptor]));
  // One set of routes (and one metrics registry) for the plain and the TLS HTTP port.
  const routes = httpRoutes(status, protocols);
  const wsListener = (port: number, tls?: TlsFiles) =>
    new WsServer({
      host: config.host,
      port,
      maxPayloadBytes: config.http.maxPayloadBytes,
      idleTimeoutSec: config.http.idleTimeoutSec,
      maxBackpressureBytes: config.http.maxBackpressureBytes,
      acceptors,
      routes,
      tls,
    });
  // Certificates are checked here, before any port opens.
  const ws = wsListener(config.http.port);
  const wss = tlsFiles ? wsListener(config.tls.wssPort, tlsFiles) : undefined;
  const tcp = protocols.flatMap((protocol) =>
    protocol.tcpListeners(tlsFiles !== undefined).map((spec) => ({
      protocol,
      spec,
      server: new TcpServer({
        host: config.host,
        port: spec.port,
        maxBufferedBytes: spec.maxBufferedBytes,
        acceptor: protocol.acceptor,
        tls: spec.tls ? tlsFiles : undefined,
      }),
    })),
  );
  const listeners = [ws, ...(wss ? [wss] : []), ...tcp.map((t) => t.server)];
  try {
    for (const listener of listeners) await listener.listen();
  } catch (error) {
    // A port that cannot be bound (another node on it) ends the start, and nothing this
    // start opened stays open: an embedding process, or a test, carries on without it.
    for (const listener of listeners) listener.stopListening();
    for (const listener of listeners) listener.closeAll();
    watch?.stop();
    broker.stop();
    await backbone.stop();
    throw error;
  }
  const ports = (): NodePorts => {
    const bound: NodePorts = { http: ws.port };
    for (const { spec, server } of tcp) bound[spec.name] = server.port;
    if (wss) bound.wss = wss.port;
    return bound;
  };

  const shown = config.host.includes(':') ? `[${config.host}]` : config.host;
  const tcpUrls = (p: ProtocolServer, tls: boolean) =>
    tcp
      .filter((t) => t.protocol === p && t.spec.tls === tls)
      .map((t) => `${t.spec.scheme}://${shown}:${t.server.port}`);
  for (const p of protocols) {
    protocolEndpoints.set(p, [
      `ws://${shown}:${ws.port}${p.webSocketPath}`,
      ...tcpUrls(p, false),
      ...(wss ? [`wss://${shown}:${wss.port}${p.webSocketPath}`] : []),
      ...tcpUrls(p, true),
    ]);
  }
  endpoints = [...protocols.flatMap((p) => protocolEndpoints.get(p) ?? []), `http://${shown}:${ws.port}/`];
  log.info({ ports: ports(), endpoints }, `EdgeMQ listening: ${endpoints.join('  ')}`);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const listener of listeners) listener.stopListening();
      const drained = Promise.all(protocols.map((p) => p.closeAll()));
      // Any shutdownTimeoutMs the config allows: a plain setTimeout would end the wait after
      // 1 ms for one above 2^31-1 ms.
      const timeout = new Promise((resolve) =>
        setLongTimeout(() => resolve(undefined), config.shutdownTimeoutMs).unref(),
      );
      await Promise.race([drained, timeout]);
      for (const listener of listeners) listener.closeAll();
      watch?.stop();
      await broker
        .leaveSharedGroups()
        .catch((err: unknown) =>
          log.warn(
            { err: String(err) },
            'shared groups not left: the others take over once this node is silent',
          ),
        );
      broker.stop();
      await backbone.stop();
      log.info('EdgeMQ stopped');
    })();
    return stopping;
  };

  return { nodeId, ports: ports(), endpoints, broker, protocols, logger: log, status, stop };
}
