// Contract: session records. A claim atomically takes ownership with a generation no claim
// of the client had before (higher than the last); saves and deletes must carry the
// record's current generation, so an owner that a later claim replaced, or whose session
// ended (deleted, expired), is refused; an expired record is discarded (with its queue) by
// the next claim.

import { beforeEach, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/backbone.js';
import { type ContractContext, fullProperties, message } from './fixture.js';

export function sessionContract(fx: ContractContext): void {
  const id = (name = 'c') => `${fx.prefix}-${name}`;
  // Expiry times lie ahead of the wall clock, so a store that also lets records expire in
  // real time (Redis PEXPIREAT) keeps them during the test; `nowMs` moves past them instead.
  let expiresAtMs = 0;
  beforeEach(() => {
    expiresAtMs = Date.now() + 10 * 60_000;
  });

  const record = (clientId: string, generation: number, ownerNode: string): SessionRecord => ({
    clientId,
    ownerNode,
    generation,
    expiresAtMs,
    subscriptions: [
      { filter: 'a/+/c', qos: 1 },
      { filter: '$share/g/x/#', qos: 2, options: { noLocal: true, retainHandling: 1 } },
    ],
    protocolState: { nextPacketId: 7, inflight: [1, 2, 3], flags: { clean: false }, note: null },
  });

  it('keeps the will and the session expiry interval of a record', async () => {
    const { generation } = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    const will = message(`${fx.prefix}/will`, { qos: 1, retain: true, properties: fullProperties() });
    for (const sessionExpiryMs of [null, 0, 60_000]) {
      const saved = { ...record(id(), generation, fx.a.nodeId), will, sessionExpiryMs };
      expect(await fx.a.sessions.save(saved)).toBe(true);
      expect(await fx.b.sessions.load(id())).toEqual(saved);
    }
  });

  it('loads nothing for an unknown client', async () => {
    expect(await fx.a.sessions.load(id())).toBeUndefined();
  });

  it('first claim: a generation, no previous, the claiming node owns an empty record', async () => {
    const claim = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    expect(claim).toEqual({ generation: claim.generation });
    expect(Number.isSafeInteger(claim.generation) && claim.generation > 0).toBe(true);
    expect(await fx.b.sessions.load(id())).toEqual({
      clientId: id(),
      ownerNode: fx.a.nodeId,
      generation: claim.generation,
      expiresAtMs: null,
      subscriptions: [],
    });
  });

  it('saved records load from both nodes', async () => {
    const { generation } = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    const saved = record(id(), generation, fx.a.nodeId);
    expect(await fx.a.sessions.save(saved)).toBe(true);
    expect(await fx.a.sessions.load(id())).toEqual(saved);
    expect(await fx.b.sessions.load(id())).toEqual(saved);
  });

  it('takeover: the next claim raises the generation, returns the previous record, keeps its state', async () => {
    const first = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    const saved = record(id(), first.generation, fx.a.nodeId);
    await fx.a.sessions.save(saved);
    const claim = await fx.b.sessions.claim(id(), fx.b.nodeId, Date.now());
    expect(claim).toEqual({ generation: claim.generation, previous: saved });
    expect(claim.generation).toBeGreaterThan(first.generation);
    expect(await fx.a.sessions.load(id())).toEqual({
      ...saved,
      ownerNode: fx.b.nodeId,
      generation: claim.generation,
    });
    expect((await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now())).generation).toBeGreaterThan(
      claim.generation,
    );
  });

  it('refuses a save from a stale generation and keeps the newer record', async () => {
    const stale = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    const { generation } = await fx.b.sessions.claim(id(), fx.b.nodeId, Date.now());
    expect(await fx.a.sessions.save(record(id(), stale.generation, fx.a.nodeId))).toBe(false);
    const current = await fx.a.sessions.load(id());
    expect(current?.ownerNode).toBe(fx.b.nodeId);
    expect(current?.generation).toBe(generation);
    expect(current?.subscriptions).toEqual([]);
    expect(await fx.b.sessions.save(record(id(), generation, fx.b.nodeId))).toBe(true);
    expect(await fx.a.sessions.load(id())).toEqual(record(id(), generation, fx.b.nodeId));
  });

  it('refuses a save or delete whose generation no claim gave the record', async () => {
    expect(await fx.a.sessions.save(record(id(), 1, fx.a.nodeId))).toBe(false);
    expect(await fx.a.sessions.load(id())).toBeUndefined();
    const { generation } = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    expect(await fx.a.sessions.save(record(id(), generation + 1, fx.a.nodeId))).toBe(false);
    expect(await fx.a.sessions.delete(id(), generation + 1)).toBe(false);
    expect((await fx.b.sessions.load(id()))?.generation).toBe(generation);
  });

  it('discards an expired record and its queue at the next claim, still raising the generation', async () => {
    const first = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    const saved = record(id(), first.generation, fx.a.nodeId);
    await fx.a.sessions.save(saved);
    await fx.a.queues.push(id(), message(`${fx.prefix}/q`), 10);
    const claim = await fx.b.sessions.claim(id(), fx.b.nodeId, saved.expiresAtMs as number);
    expect(claim.previous).toBeUndefined();
    expect(claim.generation).toBeGreaterThan(first.generation);
    // The expired session's owner can no longer write it back.
    expect(await fx.a.sessions.save(saved)).toBe(false);
    expect(await fx.a.queues.length(id())).toBe(0);
    expect(await fx.a.sessions.load(id())).toEqual({
      clientId: id(),
      ownerNode: fx.b.nodeId,
      generation: claim.generation,
      expiresAtMs: null,
      subscriptions: [],
    });
  });

  it('returns the previous record when the claim comes just before expiry', async () => {
    const { generation } = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    const saved = record(id(), generation, fx.a.nodeId);
    await fx.a.sessions.save(saved);
    await fx.a.queues.push(id(), message(`${fx.prefix}/q`), 10);
    const claim = await fx.b.sessions.claim(id(), fx.b.nodeId, (saved.expiresAtMs as number) - 1);
    expect(claim).toEqual({ generation: claim.generation, previous: saved });
    expect(await fx.b.queues.length(id())).toBe(1);
  });

  it('never expires a record whose expiresAtMs is null', async () => {
    const { generation } = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    const saved = { ...record(id(), generation, fx.a.nodeId), expiresAtMs: null };
    await fx.a.sessions.save(saved);
    const claim = await fx.b.sessions.claim(id(), fx.b.nodeId, Number.MAX_SAFE_INTEGER);
    expect(claim.previous).toEqual(saved);
  });

  it('keeps a record expiring 0xFFFFFFFE s (MQTT 5 just short of never) or further ahead', async () => {
    // 2^52 ms and 1e18 ms lie beyond what Redis's Lua prints as an integer (1e17).
    for (const ahead of [0xfffffffe * 1000, 2 ** 52, 1e18]) {
      const { generation } = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
      const saved = { ...record(id(), generation, fx.a.nodeId), expiresAtMs: Date.now() + ahead };
      expect(await fx.a.sessions.save(saved)).toBe(true);
      expect(await fx.b.sessions.load(id())).toEqual(saved);
      // 1024 ms before it: at 1e18 the nearest smaller double is 128 below.
      const claim = await fx.b.sessions.claim(id(), fx.b.nodeId, (saved.expiresAtMs as number) - 1024);
      expect(claim.previous).toEqual(saved);
    }
  });

  it('refuses a delete from a stale generation, keeping record and queue', async () => {
    const stale = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    const { generation } = await fx.b.sessions.claim(id(), fx.b.nodeId, Date.now());
    await fx.b.queues.push(id(), message(`${fx.prefix}/q`), 10);
    expect(await fx.a.sessions.delete(id(), stale.generation)).toBe(false);
    expect((await fx.a.sessions.load(id()))?.generation).toBe(generation);
    expect(await fx.a.queues.length(id())).toBe(1);
  });

  it('deletes the record and clears its queue', async () => {
    const { generation } = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    await fx.a.sessions.save(record(id(), generation, fx.a.nodeId));
    await fx.a.queues.push(id(), message(`${fx.prefix}/q`), 10);
    await fx.a.queues.push(id(), message(`${fx.prefix}/q`), 10);
    expect(await fx.a.sessions.delete(id(), generation)).toBe(true);
    expect(await fx.b.sessions.load(id())).toBeUndefined();
    expect(await fx.b.queues.length(id())).toBe(0);
  });

  it('never reuses a generation after a delete, so a stale owner stays fenced off', async () => {
    const first = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    const stale = record(id(), first.generation, fx.a.nodeId);
    const second = await fx.b.sessions.claim(id(), fx.b.nodeId, Date.now());
    expect(await fx.b.sessions.delete(id(), second.generation)).toBe(true);
    expect(await fx.a.sessions.save(stale)).toBe(false);
    expect(await fx.a.sessions.delete(id(), first.generation)).toBe(false);
    expect(await fx.a.sessions.load(id())).toBeUndefined();
    // Claimed again, by anyone, many times over: the stale owner still matches nothing.
    let latest = second.generation;
    for (const node of [fx.b, fx.a, fx.b]) {
      const claim = await node.sessions.claim(id(), node.nodeId, Date.now());
      expect(claim.generation).toBeGreaterThan(latest);
      latest = claim.generation;
      expect(await fx.a.sessions.save(stale)).toBe(false);
      expect(await fx.a.sessions.delete(id(), first.generation)).toBe(false);
      expect((await fx.b.sessions.load(id()))?.generation).toBe(latest);
    }
  });

  it('a session that ended stays ended: its own owner cannot save it after the delete', async () => {
    const { generation } = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    const saved = record(id(), generation, fx.a.nodeId);
    expect(await fx.a.sessions.save(saved)).toBe(true);
    expect(await fx.a.sessions.delete(id(), generation)).toBe(true);
    expect(await fx.a.sessions.save(saved)).toBe(false);
    expect(await fx.a.sessions.delete(id(), generation)).toBe(false);
    expect(await fx.b.sessions.load(id())).toBeUndefined();
  });

  it('starts a new session with an empty queue, even if messages were left for the client', async () => {
    await fx.a.queues.push(id(), message(`${fx.prefix}/q`), 10);
    const claim = await fx.b.sessions.claim(id(), fx.b.nodeId, Date.now());
    expect(claim.previous).toBeUndefined();
    expect(await fx.a.queues.length(id())).toBe(0);
  });

  it('claims atomically: concurrent claims from both nodes get distinct generations', async () => {
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const node = i % 2 === 0 ? fx.a : fx.b;
        return node.sessions.claim(id(), node.nodeId, Date.now());
      }),
    );
    const generations = claims.map((claim) => claim.generation);
    expect(new Set(generations).size).toBe(20);
    expect(claims.filter((claim) => claim.previous === undefined)).toHaveLength(1);
    // The claims took effect one after the other, each with a higher generation: the last wins.
    expect((await fx.a.sessions.load(id()))?.generation).toBe(Math.max(...generations));
  });

  it('keeps sessions of different clients apart', async () => {
    await fx.a.sessions.claim(id('x'), fx.a.nodeId, Date.now());
    expect((await fx.b.sessions.claim(id('y'), fx.b.nodeId, Date.now())).previous).toBeUndefined();
    expect((await fx.a.sessions.load(id('x')))?.ownerNode).toBe(fx.a.nodeId);
  });

  it('is not changed by callers mutating records they saved or got back', async () => {
    const { generation } = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    const saved = record(id(), generation, fx.a.nodeId);
    await fx.a.sessions.save(saved);
    saved.subscriptions.push({ filter: 'mutated', qos: 0 });
    (saved.protocolState as { inflight: number[] }).inflight.push(99);
    const loaded = await fx.a.sessions.load(id());
    loaded?.subscriptions.pop();
    if (loaded !== undefined) loaded.ownerNode = 'mutated';
    const claim = await fx.b.sessions.claim(id(), fx.b.nodeId, Date.now());
    claim.previous?.subscriptions.splice(0);
    expect(await fx.a.sessions.load(id())).toEqual(record(id(), claim.generation, fx.b.nodeId));
  });
}
