// Cluster test fixture: one real Redis (a single server, or a 3-master Redis Cluster) and a
// few real `bin/edgemq` processes sharing it (EDGEMQ_REDIS_URL), each file under its own
// random key prefix. The fan-out, resume and shared-group suites run on both topologies. Nodes are stopped before
// Redis, so none of them spends its shutdown reconnecting. The processes run the built
// tree: `npx tsc -b` first.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  type ReceivedMessage,
  type RedisServer,
  repoRoot,
  type SpawnedNode,
  spawnNode,
  startRedis,
  startRedisCluster,
  type TestClient,
} from '@edgemq/testkit';
import mqtt, { type IClientOptions } from 'mqtt';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import type { TestNode, TransportName } from '../helpers/test-node.js';

export const unique = (tag: string) => `${tag}-${randomBytes(4).toString('hex')}`;

export interface ClusterNode {
  readonly id: string;
  readonly spawned: SpawnedNode;
  readonly tcpUrl: string;
  readonly wsUrl: string;
  readonly httpUrl: string;
  /** The shape the raw MQTT client (../helpers/raw-client.ts) needs: ports and urls. */
  readonly asTestNode: TestNode;
}

export interface Cluster {
  readonly redis: RedisServer;
  readonly prefix: string;
  readonly nodes: ClusterNode[];
  node(id: string): ClusterNode;
  stop(): Promise<void>;
}

/** The Redis deployments the node-level suites run on. */
export const redisTopologies = ['standalone', 'cluster'] as const;
export type RedisTopology = (typeof redisTopologies)[number];

export interface ClusterOptions {
  nodeIds: string[];
  /** One Redis server (default), or a 3-master Redis Cluster the nodes reach in cluster mode. */
  redis?: RedisTopology;
  /** Extra EDGEMQ_* variables for every node. */
  env?: Record<string, string>;
  /** Redis in a local process (needed for pause/resume). */
  redisMode?: 'process';
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (!existsSync(`${repoRoot}apps/broker/dist/main.js`)) {
    throw new Error('apps/broker/dist/main.js is missing: run `npx tsc -b` before these tests');
  }
  const redis =
    options.redis === 'cluster'
      ? await redisCluster()
      : await startRedis(options.redisMode ? { mode: options.redisMode } : {});
  const modeEnv: Record<string, string> = options.redis === 'cluster' ? { EDGEMQ_REDIS_MODE: 'cluster' } : {};
  const prefix = unique('emqc');
  const started = await Promise.allSettled(
    options.nodeIds.map((id) =>
      spawnNode({
        env: {
          EDGEMQ_REDIS_URL: redis.url,
          EDGEMQ_NODE_ID: id,
          EDGEMQ_REDIS_KEY_PREFIX: prefix,
          EDGEMQ_SHUTDOWN_TIMEOUT_MS: '2000',
          ...modeEnv,
          ...options.env,
        },
      }),
    ),
  );
  const spawned = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(spawned.map((s) => s.stop('SIGKILL', 2000)));
    await redis.stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  const nodes = spawned.map((s, i) => clusterNode(options.nodeIds[i], s));
  let stopped = false;
  return {
    redis,
    prefix,
    nodes,
    node: (id) => {
      const found = nodes.find((n) => n.id === id);
      if (!found) throw new Error(`no node ${id}`);
      return found;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await Promise.all(nodes.map((n) => n.spawned.stop('SIGTERM', 5000)));
      await redis.stop();
    },
  };
}

/** A 3-master Redis Cluster behind the RedisServer shape (it cannot pause). */
async function redisCluster(): Promise<RedisServer> {
  const cluster = await startRedisCluster(3);
  const cannot = async () => {
    throw new Error('pause()/resume() need a single redis-server');
  };
  return { url: cluster.url, mode: 'process', stop: () => cluster.stop(), pause: cannot, resume: cannot };
}

function clusterNode(id: string, spawned: SpawnedNode): ClusterNode {
  const tcpUrl = `mqtt://127.0.0.1:${spawned.ports.mqtt}`;
  const wsUrl = `ws://127.0.0.1:${spawned.ports.http}/mqtt`;
  const httpUrl = `http://127.0.0.1:${spawned.ports.http}`;
  const asTestNode = { ports: spawned.ports, tcpUrl, wsUrl, httpUrl } as unknown as TestNode;
  return { id, spawned, tcpUrl, wsUrl, httpUrl, asTestNode };
}

export const urlOf = (node: ClusterNode, transport: TransportName) =>
  transport === 'ws' ? node.wsUrl : node.tcpUrl;

/** An MQTT.js client (the testkit's TestClient) that also keeps every packet it received. */
export interface ClusterClient extends TestClient {
  /** Whole PUBLISH packets in wire order (`messages` holds QoS 2 ones only from PUBREL on). */
  readonly publishes: IPublishPacket[];
  readonly packets: Packet[];
  /** True once the connection closed. */
  readonly closed: () => boolean;
  readonly closedAtMs: () => number | undefined;
}

/**
 * Like the testkit's connectClient, but the packet listeners are on before CONNECT goes
 * out: a resumed session's queued PUBLISHes can arrive in the same read as the CONNACK.
 */
export async function connectTo(
  node: ClusterNode,
  transport: TransportName,
  options: IClientOptions = {},
): Promise<ClusterClient> {
  const client = mqtt.connect(urlOf(node, transport), {
    clientId: unique('c'),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
  const messages: ReceivedMessage[] = [];
  const publishes: IPublishPacket[] = [];
  const packets: Packet[] = [];
  let closedAtMs: number | undefined;
  let taken = 0;
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload, qos: packet.qos, retain: packet.retain, dup: packet.dup });
  });
  client.on('packetreceive', (p: Packet) => {
    packets.push(p);
    if (p.cmd === 'publish') publishes.push(p);
  });
  client.on('close', () => {
    closedAtMs ??= Date.now();
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
  client.on('error', () => undefined);
  const take = async (count = 1, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (messages.length - taken < count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} message(s), got ${messages.length - taken}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const out = messages.slice(taken, taken + count);
    taken += count;
    return out;
  };
  const end = (force = false) => new Promise<void>((resolve) => client.end(force, {}, () => resolve()));
  return {
    client,
    messages,
    take,
    end,
    publishes,
    packets,
    closed: () => closedAtMs !== undefined,
    closedAtMs: () => closedAtMs,
  };
}

export const v5 = (extra: IClientOptions = {}): IClientOptions => ({ protocolVersion: 5, ...extra });
export const v4 = (extra: IClientOptions = {}): IClientOptions => ({ protocolVersion: 4, ...extra });

/** The session-present flag of the CONNACK MQTT.js received (kept on a private field). */
export const sessionPresent = (c: TestClient) =>
  (c.client as unknown as { connackPacket: { sessionPresent: boolean } }).connackPacket.sessionPresent;

export const payloads = (messages: { payload: Buffer }[]) => messages.map((m) => m.payload.toString());

/** GET `path` on the node's HTTP port; the status, or 0 when the request fails. */
export async function httpStatus(node: ClusterNode, path: string): Promise<number> {
  try {
    const response = await fetch(`${node.httpUrl}${path}`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Ends every client given, forcing (unacknowledged publishes do not hold the end back). */
export const endAll = (...clients: (TestClient | undefined)[]) =>
  Promise.all(clients.map((c) => c?.end(true)));
