// The contract fixture every Redis deployment shares: two started RedisBackbone nodes under
// one fresh key prefix, stopped (and their keys dropped, where the test can) afterwards.
import { randomBytes } from 'node:crypto';
import type { RedisBackbone } from '../src/index.js';
import type { BackboneFactory } from './contract.js';

export function redisPair(
  tag: string,
  node: (keyPrefix: string, nodeId: string) => RedisBackbone,
  dropKeys?: (keyPrefix: string) => Promise<void>,
): BackboneFactory {
  return async () => {
    const keyPrefix = `${tag}-${randomBytes(5).toString('hex')}`;
    const nodes = [node(keyPrefix, 'node-a'), node(keyPrefix, 'node-b')];
    await Promise.all(nodes.map((n) => n.start()));
    return {
      nodes,
      cleanup: async () => {
        await Promise.all(nodes.map((n) => n.stop()));
        await dropKeys?.(keyPrefix);
      },
      inject: (n, what, failing) => {
        (n as RedisBackbone).failures[what] = failing;
      },
    };
  };
}
