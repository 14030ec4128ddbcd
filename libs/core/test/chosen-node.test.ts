import type { Message } from '@edgemq/model';
import { describe, expect, it } from 'vitest';
import { chosenNode } from '../src/shared-membership.js';

const message = (seq: number, nodeId = 'origin-a'): Message =>
  ({
    topic: 't',
    payload: Buffer.alloc(0),
    qos: 1,
    retain: false,
    createdAtMs: 0,
    origin: { nodeId, seq },
  }) as Message;

const nodes = ['node-1', 'node-2', 'node-3', 'node-4'];
const messages = Array.from({ length: 20_000 }, (_, i) => message(i, i % 2 ? 'origin-a' : 'origin-b'));

describe('chosenNode (shared groups across nodes)', () => {
  it('gives every message to the same node whatever order a node lists the members in', () => {
    const reversed = [...nodes].reverse();
    for (const m of messages) expect(chosenNode(reversed, m)).toBe(chosenNode(nodes, m));
  });

  it('taking a node out moves only the messages that node had: two views that differ by a suspect agree on all others', () => {
    const without = nodes.filter((node) => node !== 'node-3');
    let moved = 0;
    for (const m of messages) {
      const before = chosenNode(nodes, m);
      const after = chosenNode(without, m);
      if (before === 'node-3') moved++;
      else expect(after).toBe(before);
    }
    // …and node-3's own share is spread over the others.
    expect(moved).toBeGreaterThan(messages.length / 4 - 600);
    expect(moved).toBeLessThan(messages.length / 4 + 600);
  });

  it('spreads messages evenly over the member nodes', () => {
    const counts = new Map<string, number>();
    for (const m of messages) {
      const node = chosenNode(nodes, m);
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(nodes);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(messages.length / 4 - 600);
      expect(count).toBeLessThan(messages.length / 4 + 600);
    }
  });
});
