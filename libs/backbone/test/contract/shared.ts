// Contract: shared-subscription membership. Every node sees the same sorted list of
// member nodes per group; leaving and forgetting a node remove it.

import { expect, it } from 'vitest';
import type { ContractContext } from './fixture.js';

export function sharedContract(fx: ContractContext): void {
  const key = (name: string) => `${fx.prefix}\u0000${name}`;

  it('lists the member nodes of a group, sorted, from every node', async () => {
    await fx.a.shared.setMember(key('g/t'), 'node-b', true);
    await fx.b.shared.setMember(key('g/t'), 'node-a', true);
    await fx.b.shared.setMember(key('g/t'), 'node-a', true);
    expect(await fx.a.shared.memberNodes(key('g/t'))).toEqual(['node-a', 'node-b']);
    expect(await fx.b.shared.memberNodes(key('g/t'))).toEqual(['node-a', 'node-b']);
    expect(await fx.a.shared.memberNodes(key('other'))).toEqual([]);
  });

  it('removes a node that leaves a group, and a forgotten node from all groups', async () => {
    const node = `${fx.prefix}-n`;
    await fx.a.shared.setMember(key('x'), node, true);
    await fx.a.shared.setMember(key('y'), node, true);
    await fx.a.shared.setMember(key('y'), 'stays', true);
    await fx.a.shared.setMember(key('x'), node, false);
    expect(await fx.b.shared.memberNodes(key('x'))).toEqual([]);
    await fx.b.shared.forgetNode(node);
    expect(await fx.a.shared.memberNodes(key('y'))).toEqual(['stays']);
  });

  it('tells every node, this one included, when a group changes', async () => {
    const atA: string[] = [];
    const atB: string[] = [];
    fx.a.shared.onChange((k) => atA.push(k));
    fx.b.shared.onChange((k) => atB.push(k));
    await new Promise((r) => setTimeout(r, 50)); // the subscriptions are in place
    await fx.a.shared.setMember(key('news'), 'node-a', true);
    await fx.b.shared.setMember(key('news'), 'node-b', false);
    const deadline = Date.now() + 3000;
    while ((atA.length < 2 || atB.length < 2) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(atA.filter((k) => k === key('news'))).toHaveLength(2);
    expect(atB.filter((k) => k === key('news'))).toHaveLength(2);
  });
}
