import type { Message } from '@edgemq/core';
import { Counters } from '@edgemq/core';
import { describe, expect, it } from 'vitest';
import { Outbound, type OutboundMessage, type OutboundOptions, type OutboundSink } from '../src/outbound.js';

const message = (n: number, qos: 0 | 1 | 2 = 1): Message => ({
  topic: `t/${n}`,
  payload: Buffer.from(String(n)),
  qos,
  retain: false,
  origin: { nodeId: 'n', clientId: 'c' },
  createdAtMs: 0,
});
const entry = (n: number, qos: 0 | 1 | 2 = 1): OutboundMessage => ({
  message: message(n, qos),
  qos,
  retain: false,
  subscriptionIds: [],
});

interface Sent {
  kind: 'publish' | 'pubrel';
  topic?: string;
  packetId?: number;
  dup?: boolean;
}

function harness(limits: Partial<OutboundOptions> = {}) {
  const options: OutboundOptions = { maxInflight: 3, maxQueued: 5, overflow: 'dropOldest', ...limits };
  const sent: Sent[] = [];
  let congested = false;
  const sink: OutboundSink = {
    sendPublish: (e, packetId, dup) => {
      if (e.message.topic === 'too/large') return 'dropped';
      sent.push({ kind: 'publish', topic: e.message.topic, packetId, dup });
      return congested ? 'congested' : 'ok';
    },
    sendPubrel: (packetId) => {
      sent.push({ kind: 'pubrel', packetId });
      return !congested;
    },
  };
  const counters = new Counters();
  const outbound = new Outbound(sink, options, counters);
  return {
    outbound,
    sent,
    counters,
    congest: (on: boolean) => {
      congested = on;
    },
  };
}

describe('Outbound', () => {
  it('holds deliveries until started, then sends them in order', () => {
    const { outbound, sent } = harness();
    outbound.send(entry(1));
    outbound.send(entry(2));
    expect(sent).toEqual([]);
    outbound.start(undefined);
    expect(sent.map((s) => s.topic)).toEqual(['t/1', 't/2']);
  });

  it('keeps at most maxInflight unacknowledged and sends the next on each ack', () => {
    const { outbound, sent } = harness();
    outbound.start(undefined);
    for (let i = 1; i <= 5; i++) outbound.send(entry(i));
    expect(sent).toHaveLength(3);
    expect(outbound.pendingCount).toBe(2);
    outbound.complete(sent[0].packetId!);
    expect(sent.map((s) => s.topic)).toEqual(['t/1', 't/2', 't/3', 't/4']);
  });

  it('allocates distinct non-zero packet ids and wraps after 65535', () => {
    const { outbound, sent } = harness({ maxInflight: 2, maxQueued: 10 });
    outbound.start(undefined);
    for (let i = 0; i < 70_000; i++) {
      outbound.send(entry(i));
      outbound.complete(sent[sent.length - 1].packetId!);
    }
    const ids = sent.map((s) => s.packetId!);
    expect(Math.min(...ids)).toBe(1);
    expect(Math.max(...ids)).toBe(65535);
    expect(ids[65535]).toBe(1);
  });

  it('skips packet ids still in flight when allocating', () => {
    const { outbound, sent } = harness({ maxInflight: 2, maxQueued: 10 });
    outbound.start(undefined);
    outbound.send(entry(1)); // id 1, never acked
    for (let i = 0; i < 65536; i++) {
      outbound.send(entry(i));
      outbound.complete(sent[sent.length - 1].packetId!);
    }
    expect(sent.slice(1).every((s) => s.packetId !== 1)).toBe(true);
  });

  it('drops QoS 0 while the socket is congested and counts it; QoS 1 waits', () => {
    const { outbound, sent, counters, congest } = harness();
    outbound.start(undefined);
    congest(true);
    outbound.send(entry(1, 0)); // written, reports congestion
    outbound.send(entry(2, 0)); // dropped
    outbound.send(entry(3, 1)); // waits
    expect(sent.map((s) => s.topic)).toEqual(['t/1']);
    expect(counters.droppedQos0Backpressure).toBe(1);
    congest(false);
    outbound.drained();
    expect(sent.map((s) => s.topic)).toEqual(['t/1', 't/3']);
  });

  it('bounds the waiting queue, dropping the oldest and counting them', () => {
    const { outbound, counters } = harness({ maxInflight: 1, maxQueued: 2 });
    outbound.start(undefined);
    for (let i = 1; i <= 6; i++) outbound.send(entry(i));
    expect(outbound.pendingCount).toBe(2);
    expect(counters.droppedQueueOverflow).toBe(3);
    expect(outbound.snapshot().pending.map((e) => e.message.topic)).toEqual(['t/5', 't/6']);
  });

  it("'dropNewest' keeps the oldest waiting and refuses arrivals past the bound, counting them", () => {
    const { outbound, counters } = harness({ maxInflight: 1, maxQueued: 2, overflow: 'dropNewest' });
    outbound.start(undefined);
    for (let i = 1; i <= 6; i++) outbound.send(entry(i));
    expect(counters.droppedQueueOverflow).toBe(3);
    expect(outbound.droppedOverflow).toBe(3);
    expect(outbound.snapshot().pending.map((e) => e.message.topic)).toEqual(['t/2', 't/3']);
  });

  it('never drops a recovered message (replayed, taken from a queue, resumed): the bound counts live arrivals', () => {
    const { outbound, sent, counters } = harness({ maxInflight: 1, maxQueued: 2 });
    outbound.start(undefined);
    outbound.send(entry(0)); // in flight
    // 5 replayed after a node death, through the live path but marked recovered ...
    for (let i = 1; i <= 5; i++) outbound.send({ ...entry(i), recovered: true });
    // ... 3 taken from the parked queue on resume ...
    outbound.prepend([entry(6), entry(7), entry(8)]);
    // ... and 4 live arrivals: only the oldest live one over the bound of 2 goes.
    for (let i = 9; i <= 12; i++) outbound.send(entry(i));
    expect(counters.droppedQueueOverflow).toBe(2);
    const waiting = outbound.snapshot().pending.map((e) => e.message.topic);
    expect(waiting).toEqual(['t/6', 't/7', 't/8', 't/1', 't/2', 't/3', 't/4', 't/5', 't/11', 't/12']);
    // Draining sends every recovered one; the bound then applies to live arrivals afresh.
    for (let k = 0; k < 11; k++) outbound.complete(sent[k].packetId!);
    expect(sent.map((s) => s.topic)).toEqual(['t/0', ...waiting]);
    expect(outbound.pendingCount).toBe(0);
    for (let i = 13; i <= 16; i++) outbound.send(entry(i));
    expect(counters.droppedQueueOverflow).toBe(3); // 1 in flight, 2 waiting, 1 dropped
  });

  it('sends a long waiting queue in order as acks come, with overflow and snapshots in between', () => {
    const { outbound, sent, counters } = harness({ maxInflight: 2, maxQueued: 50 });
    outbound.start(undefined);
    for (let i = 1; i <= 40; i++) outbound.send(entry(i));
    for (let k = 0; k < 25; k++) outbound.complete(sent[k].packetId!);
    expect(sent.map((s) => s.topic)).toEqual(Array.from({ length: 27 }, (_, i) => `t/${i + 1}`));
    expect(outbound.snapshot().pending.map((e) => e.message.topic)).toEqual(
      Array.from({ length: 13 }, (_, i) => `t/${i + 28}`),
    );
    for (let i = 41; i <= 100; i++) outbound.send(entry(i)); // 73 waiting: the oldest 23 go
    expect(counters.droppedQueueOverflow).toBe(23);
    expect(outbound.pendingCount).toBe(50);
    expect(outbound.snapshot().pending[0].message.topic).toBe('t/51');
    for (let k = 25; k < 27; k++) outbound.complete(sent[k].packetId!);
    expect(sent.slice(27).map((s) => s.topic)).toEqual(['t/51', 't/52']);
  });

  it('reports the log time of its oldest unfinished message: creation time, never later than now', () => {
    const { outbound, sent } = harness({ maxInflight: 1, maxQueued: 10 });
    outbound.start(undefined);
    expect(outbound.oldestUnsettledMs()).toBeUndefined();
    const old = { ...entry(1), message: { ...message(1), createdAtMs: 1000 } };
    const future = { ...entry(2), message: { ...message(2), createdAtMs: Date.now() + 60_000 } };
    const before = Date.now();
    outbound.send(future); // in flight
    outbound.send(old); // waiting behind it
    expect(outbound.oldestUnsettledMs()).toBe(1000);
    outbound.complete(sent[0].packetId!); // the future-dated one is done; the old one goes out
    expect(outbound.oldestUnsettledMs()).toBe(1000);
    outbound.complete(sent[1].packetId!);
    expect(outbound.oldestUnsettledMs()).toBeUndefined();
    outbound.send(future);
    const since = outbound.oldestUnsettledMs() ?? 0;
    expect(since).toBeGreaterThanOrEqual(before);
    expect(since).toBeLessThanOrEqual(Date.now());
  });

  it('a message the sink drops (too large, expired) frees its packet id and window slot', () => {
    const { outbound, sent } = harness({ maxInflight: 1, maxQueued: 5 });
    outbound.start(undefined);
    outbound.send({ ...entry(0), message: { ...message(0), topic: 'too/large' } });
    expect(outbound.inflightCount).toBe(0);
    outbound.send(entry(1));
    expect(sent.map((s) => s.topic)).toEqual(['t/1']);
  });

  it('MQTT 5 Receive Maximum narrows the window', () => {
    const { outbound, sent } = harness({ maxInflight: 10, maxQueued: 50 });
    outbound.limitInflight(2);
    outbound.start(undefined);
    for (let i = 0; i < 5; i++) outbound.send(entry(i));
    expect(sent).toHaveLength(2);
  });

  it('QoS 2: PUBREC turns the entry into PUBREL, PUBCOMP completes it', () => {
    const { outbound, sent } = harness();
    outbound.start(undefined);
    outbound.send(entry(1, 2));
    const id = sent[0].packetId!;
    expect(outbound.received(id)).toBe(true);
    expect(sent[1]).toEqual({ kind: 'pubrel', packetId: id });
    expect(outbound.complete(id)).toBe(true);
    expect(outbound.inflightCount).toBe(0);
  });

  it('[MQTT-4.4.0-1] resumes a snapshot: re-sends PUBLISH with DUP, PUBREL for released ids, then pending', () => {
    const first = harness();
    first.outbound.start(undefined);
    first.outbound.send(entry(1, 1));
    first.outbound.send(entry(2, 2));
    first.outbound.send(entry(3, 2));
    first.outbound.send(entry(4, 1)); // pending: window is 3
    first.outbound.received(first.sent[1].packetId!);
    const state = first.outbound.snapshot();

    const second = harness();
    second.outbound.send(entry(5, 1)); // a live message arriving during the reconnect
    second.outbound.prepend([entry(9, 1)]); // queued while offline
    second.outbound.start(state);
    expect(second.sent.slice(0, 3)).toEqual([
      { kind: 'publish', topic: 't/1', packetId: first.sent[0].packetId, dup: true },
      { kind: 'pubrel', packetId: first.sent[1].packetId },
      { kind: 'publish', topic: 't/3', packetId: first.sent[2].packetId, dup: true },
    ]);
    // Window full (3 in flight): the rest waits in order: pending of the old connection, queued, live.
    expect(second.outbound.snapshot().pending.map((e) => e.message.topic)).toEqual(['t/4', 't/9', 't/5']);
  });
});

describe('Outbound: one message, one delivery across a resume', () => {
  const named = (n: number, seq: number): OutboundMessage => ({
    ...entry(n),
    message: { ...message(n), origin: { nodeId: 'pub-node', clientId: 'c', seq } },
  });

  it('drops copies of a message already in flight, pending or completed by the old connection', () => {
    const first = harness({ maxInflight: 2, maxQueued: 10 });
    first.outbound.start(undefined);
    first.outbound.send(named(1, 1));
    first.outbound.send(named(2, 2));
    first.outbound.send(named(3, 3)); // pending: window is 2
    first.outbound.complete(first.sent[0].packetId!); // 1 done; 3 goes out
    const state = first.outbound.snapshot();

    const second = harness({ maxInflight: 10, maxQueued: 10 });
    // The same messages arrive again while the session moves (queued and live copies).
    for (const seq of [1, 2, 3, 4, 4]) second.outbound.send(named(seq, seq));
    second.outbound.start(state);
    expect(second.sent.map((s) => [s.topic, s.dup])).toEqual([
      ['t/2', true],
      ['t/3', true],
      ['t/4', false],
    ]);
  });
});
