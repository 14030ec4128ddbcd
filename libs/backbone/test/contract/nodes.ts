// Contract: node liveness. Heartbeats are visible to every node; a silent node is claimed
// by exactly one survivor; owned client ids are listed until forgotten.

import { expect, it } from 'vitest';
import type { ContractContext } from './fixture.js';

export function nodesContract(fx: ContractContext): void {
  const node = (name: string) => `${fx.prefix}-${name}`;

  it('lists nodes whose heartbeat is older than a bound, not fresher ones', async () => {
    await fx.a.nodes.heartbeat(node('old'), 1000);
    await fx.b.nodes.heartbeat(node('new'), 5000);
    const silent = (await fx.a.nodes.silentSince(3000)).filter((id) => id.startsWith(fx.prefix));
    expect(silent).toEqual([node('old')]);
  });

  it('lets exactly one survivor claim a silent node, and none a live one', async () => {
    await fx.a.nodes.heartbeat(node('dead'), 1000);
    await fx.a.nodes.heartbeat(node('live'), 9000);
    const claims = await Promise.all([
      fx.a.nodes.claimDead(node('dead'), 5000),
      fx.b.nodes.claimDead(node('dead'), 5000),
      fx.a.nodes.claimDead(node('dead'), 5000),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await fx.b.nodes.claimDead(node('live'), 5000)).toBe(false);
    expect((await fx.a.nodes.silentSince(5000)).includes(node('dead'))).toBe(false);
  });

  it('keeps the client ids a node owns until it is forgotten', async () => {
    await fx.a.nodes.heartbeat(node('x'), 1);
    await fx.a.nodes.noteOwner(node('x'), 'c1');
    await fx.a.nodes.noteOwner(node('x'), 'c2');
    await fx.a.nodes.noteOwner(node('x'), 'c1');
    expect((await fx.b.nodes.owned(node('x'))).sort()).toEqual(['c1', 'c2']);
    await fx.b.nodes.forget(node('x'));
    expect(await fx.a.nodes.owned(node('x'))).toEqual([]);
    expect((await fx.a.nodes.silentSince(10)).includes(node('x'))).toBe(false);
  });

  it('keeps the replay mark of each node until it is forgotten', async () => {
    expect(await fx.a.nodes.replayFrom(node('m'))).toBeUndefined();
    await fx.a.nodes.heartbeat(node('m'), 5000, 4000);
    expect(await fx.b.nodes.replayFrom(node('m'))).toBe(4000);
    await fx.a.nodes.heartbeat(node('m'), 6000);
    expect(await fx.b.nodes.replayFrom(node('m'))).toBe(4000);
    await fx.a.nodes.heartbeat(node('m'), 7000, 6500);
    expect(await fx.b.nodes.replayFrom(node('m'))).toBe(6500);
    await fx.b.nodes.forget(node('m'));
    expect(await fx.a.nodes.replayFrom(node('m'))).toBeUndefined();
  });
}
