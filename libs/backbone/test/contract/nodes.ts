// Contract: node liveness. Heartbeats are visible to every node; a silent node is claimed
// by exactly one survivor; a node lists the client ids whose records it owns, until the
// client is claimed elsewhere, its session is deleted, or the node is forgotten.

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

  const client = (name: string) => `${fx.prefix}-${name}`;

  /** Claims `clientId` for `nodeId` and notes it, as a node opening the session does. */
  const own = async (nodeId: string, clientId: string) => {
    const claim = await fx.a.sessions.claim(clientId, nodeId, Date.now());
    await fx.a.nodes.noteOwner(nodeId, clientId);
    return claim.generation;
  };

  it('keeps the client ids a node owns until it is forgotten', async () => {
    await fx.a.nodes.heartbeat(node('x'), 1);
    const [c1, c2] = [client('c1'), client('c2')];
    await own(node('x'), c1);
    await own(node('x'), c2);
    await fx.a.nodes.noteOwner(node('x'), c1);
    expect((await fx.b.nodes.owned(node('x'))).sort()).toEqual([c1, c2].sort());
    await fx.b.nodes.forget(node('x'));
    expect(await fx.a.nodes.owned(node('x'))).toEqual([]);
    expect((await fx.a.nodes.silentSince(10)).includes(node('x'))).toBe(false);
  });

  it("drops a client from a node's list once another node claims it or its session is deleted", async () => {
    const [moved, ended, kept, expired] = ['moved', 'ended', 'kept', 'expired'].map(client);
    await own(node('x'), moved);
    const endedGeneration = await own(node('x'), ended);
    await own(node('x'), kept);
    const expiredGeneration = await own(node('x'), expired);
    await fx.a.sessions.save({
      clientId: expired,
      ownerNode: node('x'),
      generation: expiredGeneration,
      expiresAtMs: Date.now() + 60_000,
      subscriptions: [],
    });
    await fx.b.sessions.claim(moved, node('y'), Date.now()); // taken over
    expect(await fx.a.sessions.delete(ended, endedGeneration)).toBe(true); // clean session ended
    await fx.b.sessions.claim(expired, node('y'), Date.now() + 120_000); // expired, then claimed anew
    expect(await fx.b.nodes.owned(node('x'))).toEqual([kept]);
    // A note that arrives after another node's claim leaves nothing behind.
    await fx.a.nodes.noteOwner(node('x'), moved);
    expect(await fx.b.nodes.owned(node('x'))).toEqual([kept]);
    await fx.b.nodes.noteOwner(node('y'), moved);
    expect(await fx.a.nodes.owned(node('y'))).toEqual([moved]);
  });

  it('does not list a client whose session is gone, or held by no one', async () => {
    await fx.a.nodes.noteOwner(node('x'), client('never-claimed'));
    expect(await fx.b.nodes.owned(node('x'))).toEqual([]);
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
