// A node dies (SIGKILL) while its clients hold sessions: one survivor publishes the wills
// of its connected clients within the configured interval, frees clean sessions and
// adopts persistent ones, so a client that reconnects to another node finds its session
// and what was published for it while it was away.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Cluster,
  connectTo,
  endAll,
  payloads,
  sessionPresent,
  startCluster,
  unique,
  v5,
} from './helpers.js';

const DEAD_AFTER_MS = 2000;
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    nodeIds: ['a', 'b', 'c'],
    env: { EDGEMQ_REDIS_NODE_DEAD_AFTER_MS: String(DEAD_AFTER_MS), EDGEMQ_REDIS_HEARTBEAT_MS: '200' },
  });
}, 30_000);
afterAll(() => cluster?.stop());

describe('a node dies', () => {
  it('a survivor publishes the wills of its clients, frees clean sessions and adopts persistent ones', async () => {
    const topic = unique('death');
    const watcher = await connectTo(cluster.node('b'), 'tcp', v5());
    await watcher.client.subscribeAsync(`${topic}/will/#`, { qos: 1 });
    const clean = await connectTo(cluster.node('a'), 'tcp', {
      protocolVersion: 4,
      will: { topic: `${topic}/will/clean`, payload: Buffer.from('clean gone'), qos: 1, retain: false },
    });
    const durableId = unique('durable');
    const durable = await connectTo(
      cluster.node('a'),
      'ws',
      v5({
        clientId: durableId,
        clean: false,
        properties: { sessionExpiryInterval: 300 },
        will: { topic: `${topic}/will/durable`, payload: Buffer.from('durable gone'), qos: 1, retain: false },
      }),
    );
    await durable.client.subscribeAsync(`${topic}/cmd`, { qos: 1 });

    const killedAt = Date.now();
    await cluster.node('a').spawned.stop('SIGKILL');
    const wills = await watcher.take(2, DEAD_AFTER_MS + 5000);
    expect(payloads(wills).sort()).toEqual(['clean gone', 'durable gone']);
    expect(Date.now() - killedAt).toBeLessThan(DEAD_AFTER_MS + 4000);

    // Published while the client is away, after the survivor adopted the session.
    const publisher = await connectTo(cluster.node('c'), 'tcp', v5());
    await publisher.client.publishAsync(`${topic}/cmd`, 'while away', { qos: 1 });
    const back = await connectTo(
      cluster.node('c'),
      'tcp',
      v5({ clientId: durableId, clean: false, properties: { sessionExpiryInterval: 300 } }),
    );
    expect(sessionPresent(back)).toBe(true);
    expect(payloads(await back.take(1, 5000))).toEqual(['while away']);
    await publisher.client.publishAsync(`${topic}/cmd`, 'live', { qos: 1 });
    expect(payloads(await back.take(1, 5000))).toEqual(['live']);
    await endAll(watcher, clean, durable, publisher, back);
  }, 30_000);
});
