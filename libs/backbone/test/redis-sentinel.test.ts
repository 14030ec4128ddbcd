// The Redis backbone in sentinel mode: ioredis asks a Sentinel for the master. The same
// contract suite runs through it, and a failover (the master killed, the replica promoted)
// leaves the backbone appending and delivering on the new master.

import { randomBytes } from 'node:crypto';
import { type RedisSentinelSetup, startRedisSentinel } from '@edgemq/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBackbone } from '../src/index.js';
import { collect, message, waitFor } from './contract/fixture.js';
import { backboneContract } from './contract.js';
import { redisPair } from './redis-pair.js';

let sentinel: RedisSentinelSetup;

beforeAll(async () => {
  sentinel = await startRedisSentinel({ replica: true });
}, 60_000);

afterAll(async () => {
  await sentinel?.stop();
});

const node = (keyPrefix: string, nodeId: string) =>
  new RedisBackbone({
    url: sentinel.url,
    mode: 'sentinel',
    sentinelName: sentinel.masterName,
    nodeId,
    keyPrefix,
    blockTimeMs: 500,
  });

backboneContract('redis backbone through Redis Sentinel', redisPair('emqs', node));

// Last in this file: it kills the master the contract suite used.
describe('redis backbone through Redis Sentinel, across a failover', () => {
  it('follows the promoted replica and delivers again', async () => {
    const keyPrefix = `emqs-${randomBytes(5).toString('hex')}`;
    const a = node(keyPrefix, 'a');
    const b = node(keyPrefix, 'b');
    await Promise.all([a.start(), b.start()]);
    try {
      const received = collect(b);
      await a.append([message(`${keyPrefix}/t`, { payload: 'before' })]);
      await waitFor(() => received.length === 1, 'the message before the failover');
      await sentinel.failMaster();
      await waitFor(() => a.isReady() && b.isReady(), 'both nodes ready on the new master', 20_000);
      // Commands sent while ioredis finds the new master may fail; the next ones must not.
      await waitFor(() => received.length === 1, 'nothing yet');
      let appended = false;
      const deadline = Date.now() + 20_000;
      while (!appended && Date.now() < deadline) {
        // Bounded: a command queued while ioredis looks for the new master may wait long.
        appended = await Promise.race([
          a.append([message(`${keyPrefix}/t`, { payload: 'after' })]).then(
            () => true,
            () => false,
          ),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000)),
        ]);
        if (!appended) await new Promise((r) => setTimeout(r, 200));
      }
      expect(appended).toBe(true);
      await waitFor(
        () => received.some((m) => m.payload.toString() === 'after'),
        'the message after',
        20_000,
      );
      expect(await a.redis.call('ROLE').then((role) => (role as unknown[])[0])).toBe('master');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 120_000);
});
