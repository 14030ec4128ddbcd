// Redis does not grow with the number of client ids ever seen. Browsers and
// `mosquitto_sub` without -i use a fresh random client id per connection, so a public
// deployment meets an unbounded stream of ids: every key kept for one of them (session
// record, queue, generation, a node's owned set, shared-group membership) must go when its
// session ends, or expire after it. Here 1,000 short-lived clients of every kind come and
// go on two nodes, a third node dies holding sessions, and the keys under the cluster's
// prefix return to what they were before.
import { shardOf } from '@edgemq/backbone';
import { waitFor } from '@edgemq/testkit';
import { Redis } from 'ioredis';
import type { IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransportName } from '../helpers/test-node.js';
import {
  type Cluster,
  type ClusterClient,
  type ClusterNode,
  connectTo,
  startCluster,
  unique,
} from './helpers.js';

const CLIENTS = 1000;
/** Connections in flight at once: enough to keep two nodes busy, few enough for 2 cores. */
const CONCURRENCY = 24;
/** The nodes' default log shard count: every shard stream exists before the baseline. */
const SHARDS = 8;
const DEAD_AFTER_MS = 2000;

let cluster: Cluster;
let admin: Redis;

beforeAll(async () => {
  cluster = await startCluster({
    nodeIds: ['a', 'b', 'c'],
    env: {
      // MQTT 3.1.1 persistent sessions lapse after 1 s, as MQTT 5 ones asking for 1 s do.
      EDGEMQ_MQTT_PERSISTENT_SESSION_EXPIRY_SEC: '1',
      EDGEMQ_REDIS_NODE_DEAD_AFTER_MS: String(DEAD_AFTER_MS),
      EDGEMQ_REDIS_HEARTBEAT_MS: '200',
    },
  });
  admin = new Redis(cluster.redis.url);
}, 60_000);

afterAll(async () => {
  await admin?.quit();
  await cluster?.stop();
});

/** Every key under the cluster's prefix, sorted (SCAN: never blocks Redis like KEYS). */
async function keys(): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${cluster.prefix}:*`, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return [...new Set(found)].sort();
}

/**
 * Whether a key of a session is in `found`: its record, its queue, or a node's owned set
 * (a primer's go shortly after it left, the owned set a moment after the record).
 */
const sessionKeysIn = (found: string[]) =>
  found.some((key) => /\{c:.*\}:(session|q)$/.test(key) || key.startsWith(`${cluster.prefix}:owned:`));

/**
 * The members of each key that holds some (sets, sorted sets, hashes, lists), so that a
 * set that only grew (a node's owned set) shows too. Log streams grow with every publish
 * and are bounded by their own trim: left out.
 */
async function sizes(found: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const key of found) {
    const type = await admin.type(key);
    if (type === 'set') out[key] = await admin.scard(key);
    else if (type === 'zset') out[key] = await admin.zcard(key);
    else if (type === 'hash') out[key] = await admin.hlen(key);
    else if (type === 'list') out[key] = await admin.llen(key);
  }
  return out;
}

interface Snapshot {
  keys: string[];
  sizes: Record<string, number>;
}

async function snapshot(): Promise<Snapshot> {
  const found = await keys();
  return { keys: found, sizes: await sizes(found) };
}

/** Polls until the keys, and their member counts, are `baseline`'s again; fails with the difference. */
async function expectBackTo(baseline: Snapshot, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let now = await keys();
  const sameKeys = () => now.length === baseline.keys.length && now.every((k, i) => k === baseline.keys[i]);
  let nowSizes: Record<string, number> = {};
  for (;;) {
    if (sameKeys()) {
      nowSizes = await sizes(now);
      if (Object.entries(baseline.sizes).every(([key, size]) => nowSizes[key] === size)) return;
    }
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
    now = await keys();
  }
  nowSizes = await sizes(now.filter((key) => key in baseline.sizes));
  const extra = now.filter((key) => !baseline.keys.includes(key));
  const missing = baseline.keys.filter((key) => !now.includes(key));
  expect({ count: now.length, extra: extra.slice(0, 20), missing, sizes: nowSizes }).toEqual({
    count: baseline.keys.length,
    extra: [],
    missing: [],
    sizes: baseline.sizes,
  });
}

/**
 * Creates what lives for the cluster's lifetime, not per client (one stream per log shard,
 * the generation counter), with a client that then leaves.
 */
async function primeSharedKeys(node: ClusterNode): Promise<void> {
  const primer = await connectTo(node, 'tcp', { protocolVersion: 4 });
  const topics = new Map<number, string>();
  for (let i = 0; topics.size < SHARDS; i++) {
    const topic = `lt/prime/${i}`;
    if (!topics.has(shardOf(topic, SHARDS))) topics.set(shardOf(topic, SHARDS), topic);
  }
  for (const topic of topics.values()) await primer.client.publishAsync(topic, 'x', { qos: 1 });
  await primer.end();
}

interface Kind {
  name: string;
  transport: TransportName;
  options: IClientOptions;
  /** What the client does between CONNECT and leaving (default: subscribe, then DISCONNECT). */
  run?: (client: ClusterClient, id: string, others: Others) => Promise<void>;
  /** Subscribes to this filter first; none when undefined. */
  filter?: (id: string) => string;
}

interface Others {
  /** The node the client did not connect to. */
  other: ClusterNode;
  publisher: ClusterClient;
}

const v4 = (extra: IClientOptions = {}): IClientOptions => ({ protocolVersion: 4, ...extra });
const v5 = (expirySec: number, extra: IClientOptions = {}): IClientOptions => ({
  protocolVersion: 5,
  clean: expirySec === 0,
  properties: { sessionExpiryInterval: expirySec },
  ...extra,
});

const kinds: Kind[] = [
  { name: '3.1.1 clean, no subscription', transport: 'tcp', options: v4() },
  { name: '3.1.1 clean, subscribed', transport: 'tcp', options: v4(), filter: (id) => `lt/${id}/#` },
  {
    name: '3.1.1 clean over WebSocket, gone without DISCONNECT',
    transport: 'ws',
    options: v4(),
    filter: (id) => `lt/${id}`,
    run: (client) => client.end(true),
  },
  { name: '5 expiry 0, subscribed', transport: 'tcp', options: v5(0), filter: (id) => `lt/${id}/+` },
  {
    name: '5 expiry 0 over WebSocket, shared subscription',
    transport: 'ws',
    options: v5(0),
    filter: () => '$share/lt/lt/shared',
  },
  {
    name: '5 expiry 1 s, a message queued while parked, then lapses',
    transport: 'tcp',
    options: v5(1),
    filter: (id) => `lt/${id}/q`,
    run: async (client, id, { publisher }) => {
      await client.end();
      await publisher.client.publishAsync(`lt/${id}/q`, 'while parked', { qos: 1 });
    },
  },
  {
    name: '5 expiry 1 s over WebSocket, resumed on the other node, then lapses',
    transport: 'ws',
    options: v5(1),
    filter: (id) => `lt/${id}`,
    run: async (client, id, { other }) => {
      await client.end();
      const back = await connectTo(other, 'ws', { ...v5(1), clientId: id });
      await back.end();
    },
  },
  {
    name: '3.1.1 persistent over WebSocket, lapses after 1 s',
    transport: 'ws',
    options: v4({ clean: false }),
    filter: (id) => `lt/${id}`,
  },
  {
    name: '5 expiry 0, taken over from the other node',
    transport: 'tcp',
    options: v5(0),
    filter: (id) => `lt/${id}`,
    run: async (client, id, { other }) => {
      const second = await connectTo(other, 'tcp', { ...v5(0), clientId: id });
      await waitFor(() => client.closed(), 5000, 'the first connection closed by the takeover');
      await client.end(true);
      await second.end();
    },
  },
];

/** Connects one client of `kind` to `node` and subscribes it; returns it still connected. */
let arrived = 0;

async function arrive(kind: Kind, node: ClusterNode): Promise<{ client: ClusterClient; id: string }> {
  arrived++;
  const id = unique('lt');
  const client = await connectTo(node, kind.transport, { ...kind.options, clientId: id });
  if (kind.filter) await client.client.subscribeAsync(kind.filter(id), { qos: 1 });
  return { client, id };
}

async function leave(kind: Kind, client: ClusterClient, id: string, others: Others): Promise<void> {
  if (kind.run) await kind.run(client, id, others);
  else await client.end();
}

/** Runs `count` jobs, at most `concurrency` at a time. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

describe('Redis keys per client id', () => {
  it(`return to the baseline after ${CLIENTS} short-lived clients of every kind`, async () => {
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    await primeSharedKeys(a);
    await primeSharedKeys(b);
    await waitFor(async () => !sessionKeysIn(await keys()), 10_000, 'primers gone');
    const baseline = await snapshot();
    const publisher = await connectTo(b, 'tcp', v4());

    // One of each kind held connected: the keys are there while the sessions live.
    const held = await Promise.all(kinds.map((kind, i) => arrive(kind, i % 2 === 0 ? a : b)));
    expect((await keys()).length).toBeGreaterThanOrEqual(baseline.keys.length + kinds.length);

    await pool(CLIENTS - kinds.length, CONCURRENCY, async (i) => {
      const kind = kinds[i % kinds.length];
      const [node, other] = i % 2 === 0 ? [a, b] : [b, a];
      const { client, id } = await arrive(kind, node);
      await leave(kind, client, id, { other, publisher });
    });
    await Promise.all(
      held.map(({ client, id }, i) => leave(kinds[i], client, id, { other: i % 2 === 0 ? b : a, publisher })),
    );
    await publisher.end();
    expect(arrived).toBe(CLIENTS);

    // Sessions with a 1 s expiry lapse on their node's timer; everything else went at once.
    await expectBackTo(baseline, 20_000);
  }, 120_000);

  it("after a node dies holding sessions, its survivor's cleanup leaves the baseline", async () => {
    const [a, c] = [cluster.node('a'), cluster.node('c')];
    await primeSharedKeys(c);
    await waitFor(async () => !sessionKeysIn(await keys()), 10_000, 'primer gone');
    const before = await snapshot();
    const others: Others = { other: a, publisher: await connectTo(a, 'tcp', v4()) };
    const arrivals = await Promise.all(
      [kinds[1], kinds[3], kinds[4], kinds[5], kinds[7]].map(async (kind) => ({
        kind,
        ...(await arrive(kind, c)),
      })),
    );
    expect((await keys()).some((key) => key.endsWith(':owned:c'))).toBe(true);
    // What the node had before it took any client, less its own heartbeat and replay mark,
    // which its survivor removes with its owned set.
    const [nodesKey, replayKey] = [`${cluster.prefix}:nodes`, `${cluster.prefix}:replay`];
    expect(await admin.zscore(nodesKey, 'c')).not.toBeNull();
    const marked = (await admin.hexists(replayKey, 'c')) === 1;
    const baseline: Snapshot = {
      keys: before.keys,
      sizes: {
        ...before.sizes,
        [nodesKey]: before.sizes[nodesKey] - 1,
        [replayKey]: before.sizes[replayKey] - (marked ? 1 : 0),
      },
    };
    await c.spawned.stop('SIGKILL');
    await Promise.all(arrivals.map(({ client }) => client.end(true)));
    await others.publisher.end();
    // Adopted after DEAD_AFTER_MS: clean sessions deleted, persistent ones parked and lapsing.
    await expectBackTo(baseline, DEAD_AFTER_MS + 20_000);
  }, 60_000);
});
