// The Backbone contract suite: every Backbone implementation (memory, Redis) runs these same
// tests, as aedes-persistence's `abstract.js` does for its stores. An implementation
// supplies a factory that builds two started backbones sharing one store (two nodes of one
// cluster), a cleanup, and optionally a way to inject failures:
//
//   backboneContract('redis', async () => {
//     const nodes = [await startRedisBackbone(url), await startRedisBackbone(url)];
//     return { nodes, cleanup: () => stopAll(nodes), inject: (node, what, failing) => ... };
//   });
//
// Every test uses a random client-id and topic prefix, so several runs may share one Redis.
// Remote delivery is asserted by polling (`waitFor`), never by fixed sleeps.

import { describe } from 'vitest';
import { controlContract } from './contract/control.js';
import { failureContract } from './contract/failures.js';
import type { BackboneFactory } from './contract/fixture.js';
import { useFixture } from './contract/fixture.js';
import { lifecycleContract } from './contract/lifecycle.js';
import { logContract } from './contract/log.js';
import { nodesContract } from './contract/nodes.js';
import { queueContract } from './contract/queues.js';
import { retainedContract } from './contract/retained.js';
import { sessionContract } from './contract/sessions.js';
import { sharedContract } from './contract/shared.js';

export type { BackboneContractFixture, BackboneFactory, FailureTarget } from './contract/fixture.js';

export function backboneContract(name: string, factory: BackboneFactory): void {
  describe(name, () => {
    const fx = useFixture(factory);
    describe('lifecycle', () => lifecycleContract(fx));
    describe('append / onRemote', () => logContract(fx));
    describe('retained', () => retainedContract(fx));
    describe('sessions', () => sessionContract(fx));
    describe('queues', () => queueContract(fx));
    describe('control requests', () => controlContract(fx));
    describe('nodes', () => nodesContract(fx));
    describe('shared subscription membership', () => sharedContract(fx));
    describe('failure injection', () => failureContract(fx));
  });
}
