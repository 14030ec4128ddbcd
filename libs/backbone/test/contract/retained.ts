// Contract: retained messages, one per topic, shared by every node; an empty payload clears.

import { expect, it } from 'vitest';
import type { Backbone } from '../../src/backbone.js';
import { type ContractContext, fullProperties, message } from './fixture.js';

export function retainedContract(fx: ContractContext): void {
  const ownTopics = async (node: Backbone): Promise<string[]> =>
    (await node.retained.topics()).filter((topic) => topic.startsWith(`${fx.prefix}/`)).sort();

  it('returns undefined for a topic with nothing retained', async () => {
    expect(await fx.a.retained.get(`${fx.prefix}/none`)).toBeUndefined();
    expect(await ownTopics(fx.a)).toEqual([]);
  });

  it('stores on one node and serves the message, properties intact, from both', async () => {
    const topic = `${fx.prefix}/r/1`;
    const sent = message(topic, {
      payload: Buffer.from([0x00, 0xff, 0x42]),
      retain: true,
      qos: 2,
      properties: fullProperties(),
    });
    await fx.a.retained.set(sent);
    for (const node of [fx.a, fx.b]) {
      const got = await node.retained.get(topic);
      expect(got).toEqual(sent);
      expect(Buffer.isBuffer(got?.payload)).toBe(true);
      expect(Buffer.isBuffer(got?.properties?.correlationData)).toBe(true);
      expect(await ownTopics(node)).toEqual([topic]);
    }
  });

  it('replaces the retained message of a topic', async () => {
    const topic = `${fx.prefix}/r/replace`;
    await fx.a.retained.set(message(topic, { payload: 'first', retain: true }));
    await fx.b.retained.set(message(topic, { payload: 'second', retain: true }));
    expect((await fx.a.retained.get(topic))?.payload.toString()).toBe('second');
    expect(await ownTopics(fx.a)).toEqual([topic]);
  });

  it('clears a topic with an empty payload, seen from both nodes', async () => {
    const kept = `${fx.prefix}/r/kept`;
    const cleared = `${fx.prefix}/r/cleared`;
    await fx.a.retained.set(message(kept, { payload: 'k', retain: true }));
    await fx.a.retained.set(message(cleared, { payload: 'c', retain: true }));
    expect(await ownTopics(fx.b)).toEqual([cleared, kept]);
    await fx.b.retained.set(message(cleared, { payload: '', retain: true }));
    for (const node of [fx.a, fx.b]) {
      expect(await node.retained.get(cleared)).toBeUndefined();
      expect((await node.retained.get(kept))?.payload.toString()).toBe('k');
      expect(await ownTopics(node)).toEqual([kept]);
    }
  });

  it('accepts clearing a topic that has nothing retained', async () => {
    await fx.a.retained.set(message(`${fx.prefix}/r/empty`, { payload: '' }));
    expect(await ownTopics(fx.a)).toEqual([]);
  });

  it('lists every retained topic', async () => {
    const topics = ['a', 'a/b', 'a/b/c', '$SYS/x', 'x/+/literal'].map((t) => `${fx.prefix}/${t}`);
    for (const topic of topics) await fx.a.retained.set(message(topic, { retain: true }));
    expect(await ownTopics(fx.b)).toEqual([...topics].sort());
  });

  it('is not changed by callers mutating what they stored or got back', async () => {
    const topic = `${fx.prefix}/r/copy`;
    const sent = message(topic, { payload: 'stored', properties: fullProperties() });
    await fx.a.retained.set(sent);
    sent.payload.write('XXXXXX');
    const got = await fx.a.retained.get(topic);
    got?.payload.write('YYYYYY');
    got?.properties?.userProperties?.push(['extra', 'x']);
    const again = await fx.b.retained.get(topic);
    expect(again?.payload.toString()).toBe('stored');
    expect(again?.properties?.userProperties).toEqual(fullProperties().userProperties);
  });
}
