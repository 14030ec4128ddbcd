// Contract: the fan-out log. What one node appends reaches every other node's onRemote,
// intact and in order per topic, and never comes back to the node that appended it.

import type { Message } from '@edgemq/model';
import { expect, it } from 'vitest';
import { type ContractContext, collect, fullProperties, message, text, waitFor } from './fixture.js';

export function logContract(fx: ContractContext): void {
  it('append resolves, for an empty batch and for a batch', async () => {
    await expect(fx.a.append([])).resolves.toBeUndefined();
    await expect(fx.a.append([message(`${fx.prefix}/t`)])).resolves.toBeUndefined();
  });

  it('delivers to the other node with topic, payload, qos, retain, origin and properties intact', async () => {
    const received = collect(fx.b);
    const sent = message(`${fx.prefix}/a/b`, {
      payload: Buffer.from([0x00, 0x01, 0xfe, 0xff]),
      qos: 2,
      retain: true,
      properties: fullProperties(),
      clientId: 'sender-1',
      nodeId: fx.a.nodeId,
      createdAtMs: 1_712_345_678_901,
    });
    await fx.a.append([sent]);
    await waitFor(() => received.length === 1, 'one remote message');
    const got = received[0];
    expect(got).toEqual(sent);
    expect(Buffer.isBuffer(got.payload)).toBe(true);
    expect(Buffer.isBuffer(got.properties?.correlationData)).toBe(true);
    expect(got.properties?.correlationData?.equals(Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]))).toBe(true);
    // [MQTT-3.3.2-18] user properties keep their order, duplicates included.
    expect(got.properties?.userProperties).toEqual([
      ['z', '1'],
      ['a', '2'],
      ['z', '3'],
      ['ключ', 'значение'],
    ]);
  });

  it('keeps every qos and retain flag, empty and binary payloads, and messages without properties', async () => {
    const received = collect(fx.b);
    const topic = `${fx.prefix}/mixed`;
    const sent: Message[] = [
      message(topic, { qos: 0, retain: false, payload: '' }),
      message(topic, { qos: 1, retain: true, payload: Buffer.alloc(1024, 0xab) }),
      message(topic, { qos: 2, retain: false, properties: { contentType: 'text/plain' } }),
      message(topic, { qos: 0, retain: true, properties: { userProperties: [] } }),
    ];
    await fx.a.append(sent);
    await waitFor(() => received.length === sent.length, `${sent.length} remote messages`);
    expect(received).toEqual(sent);
    for (const got of received) expect(Buffer.isBuffer(got.payload)).toBe(true);
  });

  it('delivers in append order, within a batch and across batches', async () => {
    const received = collect(fx.b);
    const topic = `${fx.prefix}/ordered`;
    await fx.a.append([message(topic, { payload: '1' }), message(topic, { payload: '2' })]);
    await fx.a.append([message(topic, { payload: '3' })]);
    const batch = Array.from({ length: 50 }, (_, i) => message(topic, { payload: String(4 + i) }));
    await fx.a.append(batch);
    await waitFor(() => received.length === 53, '53 remote messages');
    expect(text(received)).toEqual(Array.from({ length: 53 }, (_, i) => String(i + 1)));
  });

  it("never delivers a node's own appends to its own onRemote", async () => {
    const atA = collect(fx.a);
    const atB = collect(fx.b);
    // One topic throughout: order per topic is what the log guarantees, so once a later
    // marker has arrived, an earlier own message would have arrived too.
    const topic = `${fx.prefix}/own`;
    await fx.a.append([message(topic, { payload: 'a1' }), message(topic, { payload: 'a2' })]);
    await waitFor(() => atB.length === 2, "node a's messages at node b");
    await fx.b.append([message(topic, { payload: 'b1' })]);
    await waitFor(() => atA.length === 1, "node b's marker at node a");
    await fx.a.append([message(topic, { payload: 'a3' })]);
    await waitFor(() => atB.length === 3, "node a's marker at node b");
    expect(text(atA)).toEqual(['b1']);
    expect(text(atB)).toEqual(['a1', 'a2', 'a3']);
  });

  it('delivers what was appended, even if the caller changes its message afterwards', async () => {
    const received = collect(fx.b);
    const sent = message(`${fx.prefix}/mutate`, { payload: 'original', properties: fullProperties() });
    await fx.a.append([sent]);
    sent.payload.write('XXXXXXXX');
    sent.properties?.userProperties?.reverse();
    sent.topic = 'changed';
    await waitFor(() => received.length === 1, 'one remote message');
    expect(received[0].payload.toString()).toBe('original');
    expect(received[0].topic).toBe(`${fx.prefix}/mutate`);
    expect(received[0].properties?.userProperties?.[0]).toEqual(['z', '1']);
  });

  it("replays every node's messages appended since a time, in order, and none before it", async () => {
    const topic = `${fx.prefix}/replay`;
    await fx.a.append([message(topic, { payload: 'before' })]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await fx.a.append([message(topic, { payload: 'a1' }), message(topic, { payload: 'a2' })]);
    await fx.b.append([message(topic, { payload: 'b1', qos: 2, properties: fullProperties() })]);
    await fx.a.append([message(topic, { payload: 'a3' })]);
    const replayed: Message[] = [];
    await fx.b.replay(since, (m) => {
      if (m.topic === topic) replayed.push(m);
    });
    expect(text(replayed)).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(replayed[2].properties).toEqual(fullProperties());
    expect(replayed[2].qos).toBe(2);
  });

  it("reports a log position that reaches the present once other nodes' entries are read", async () => {
    const received = collect(fx.b);
    const before = Date.now();
    await fx.a.append([message(`${fx.prefix}/pos`)]);
    await waitFor(() => received.length === 1, 'the entry at node b');
    await waitFor(() => fx.b.logPositionMs() >= before, 'the position to pass the append', 5000);
    expect(fx.b.logPositionMs()).toBeLessThanOrEqual(Date.now());
  });
}
