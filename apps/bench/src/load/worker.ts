// A load worker process (forked by the coordinator): opens the connections of its plan,
// publishes and receives, and reports counters, latency and per-publisher accounting.
//
// Closed-loop publishers (pairs) send only while fewer than `window` of their messages are
// in flight; each receipt by the paired subscriber in this process frees a slot, and all
// slots freed during one event-loop turn go out as one batch (one write). Open-loop
// publishers (fanout, fanin) send `ratePerSec` from a 10 ms timer, one batch per tick, and
// skip ticks while their socket is congested (the backlog catches up, up to one second).
import { LeanClient } from './client.js';
import { encodeHistogram, newHistogram, recordUs, snapshot } from './histogram.js';
import {
  disconnectPacket,
  fillPublishBatch,
  messageIdOf,
  nowMs,
  PAYLOAD_HEADER_BYTES,
  type PublishTemplate,
  pingreqPacket,
  pubackTemplate,
  publishTemplate,
} from './packets.js';
import {
  type Counters,
  type FromWorker,
  type PublisherPlan,
  type PublisherTally,
  type ReceiveTally,
  type ToWorker,
  unrelatedFilter,
  type WorkerPlan,
} from './plan.js';

const RATE_TICK_MS = 10;
const TICK_MS = 250;
const STALL_MS = 1000;
const KEEPALIVE_SEC = 60;
const MAX_WRITE_BYTES = 256 * 1024;

const send = (msg: FromWorker, done?: () => void) => process.send?.(msg, undefined, {}, done);

const latency = newHistogram();
const interval = newHistogram();
const ackLatency = newHistogram();
const totals: Counters = { published: 0, delivered: 0, acked: 0, expected: 0 };
let windowStart: Counters = { ...totals };
let windowStartMs = 0;
let foreign = 0;
const disconnects: string[] = [];
let running = false;
let stopping = false;
/** Receive time shared by every message of one read chunk. */
let chunkNow = 0;

interface Track {
  maxSeq: number;
  unique: number;
  duplicates: number;
}

class Publisher {
  seq = 0;
  delivered = 0;
  acked = 0;
  skipped = 0;
  stalls = 0;
  /** Messages given up on by stall recovery: no longer counted in flight. */
  forgiven = 0;
  lastProgressMs = 0;
  rateStartMs = 0;
  rateBase = 0;
  readonly sentAt: Float64Array | undefined;

  constructor(
    readonly plan: PublisherPlan,
    readonly client: LeanClient,
    readonly template: PublishTemplate,
    readonly qos: 0 | 1,
  ) {
    this.sentAt = qos > 0 ? new Float64Array(65536) : undefined;
    client.onPuback = (id) => {
      this.acked++;
      totals.acked++;
      this.lastProgressMs = chunkNow || nowMs();
      if (this.sentAt !== undefined) recordUs(ackLatency, ((chunkNow || nowMs()) - this.sentAt[id]) * 1000);
      if (this.plan.window !== undefined) markDirty(this);
    };
  }

  inFlight(): number {
    const done = this.qos > 0 ? Math.min(this.delivered, this.acked) : this.delivered;
    return Math.max(0, this.seq - done - this.forgiven);
  }

  /** Closed loop: fill the window in one write. */
  pump(): void {
    if (!running || this.client.closed) return;
    const room = this.plan.window! - this.inFlight();
    if (room > 0 && this.client.wire.writable) this.emit(room, nowMs());
  }

  /** Open loop: send what the rate says is due by now. */
  rateTick(now: number): void {
    if (!running || this.client.closed) return;
    const rate = this.plan.ratePerSec!;
    let due = Math.floor(((now - this.rateStartMs) * rate) / 1000) + this.rateBase - this.seq;
    if (due > rate) {
      // Over a second behind: give up on the backlog rather than burst it.
      this.skipped += due - Math.ceil(rate / 10);
      this.rateBase -= due - Math.ceil(rate / 10);
      due = Math.ceil(rate / 10);
    }
    if (due > 0 && this.client.wire.writable) this.emit(due, now);
  }

  /** Sends `count` messages, in writes of at most MAX_WRITE_BYTES (WebSocket brokers cap a frame). */
  private emit(count: number, now: number): void {
    const perWrite = Math.max(1, Math.floor(MAX_WRITE_BYTES / this.template.bytes.length));
    for (let left = count; left > 0; ) {
      const n = Math.min(left, perWrite);
      const first = this.seq + 1;
      const batch = fillPublishBatch(this.template, n, this.plan.id, first, now);
      if (this.sentAt !== undefined) {
        for (let s = first; s < first + n; s++) this.sentAt[messageIdOf(s)] = now;
      }
      this.seq += n;
      totals.published += n;
      totals.expected += n * this.plan.copies;
      left -= n;
      this.client.wire.write(batch);
    }
  }

  tally(): PublisherTally {
    return {
      id: this.plan.id,
      sent: this.seq,
      copies: this.plan.copies,
      skipped: this.skipped,
      stalls: this.stalls,
    };
  }
}

const publishersById = new Map<number, Publisher>();
const dirty = new Set<Publisher>();
let flushScheduled = false;

function markDirty(p: Publisher): void {
  dirty.add(p);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushDirty);
  }
}

function flushDirty(): void {
  flushScheduled = false;
  for (const p of dirty) p.pump();
  dirty.clear();
}

/** Per publisher id, what this worker's subscribers received (summed over subscribers). */
const received = new Map<number, Track>();
const clients: LeanClient[] = [];

function attachSubscriber(client: LeanClient, perSubscriber: Map<number, Track>): void {
  const puback = pubackTemplate();
  let acks: number[] = [];
  client.onPublish = (buf, flags, start, end) => {
    const topicLength = buf.readUInt16BE(start);
    let p = start + 2 + topicLength;
    if (((flags >> 1) & 3) > 0) {
      acks.push(buf.readUInt16BE(p));
      p += 2;
    }
    if (end - p < PAYLOAD_HEADER_BYTES) {
      foreign++;
      return;
    }
    const from = buf.readUInt32LE(p);
    const seq = buf.readUInt32LE(p + 4);
    const sentAt = buf.readDoubleLE(p + 8);
    if (chunkNow === 0) chunkNow = nowMs();
    const us = (chunkNow - sentAt) * 1000;
    recordUs(latency, us);
    recordUs(interval, us);
    totals.delivered++;
    let track = perSubscriber.get(from);
    if (track === undefined) {
      track = { maxSeq: 0, unique: 0, duplicates: 0 };
      perSubscriber.set(from, track);
    }
    if (seq > track.maxSeq) {
      track.maxSeq = seq;
      track.unique++;
    } else {
      track.duplicates++; // MQTT keeps per-publisher order, so an old sequence number is a repeat
    }
    const pub = publishersById.get(from);
    if (pub !== undefined && pub.plan.window !== undefined) {
      pub.delivered++;
      pub.lastProgressMs = chunkNow;
      markDirty(pub);
    }
  };
  client.onChunkEnd = () => {
    chunkNow = 0;
    if (acks.length === 0) return;
    const out = Buffer.allocUnsafe(acks.length * 4);
    for (let i = 0; i < acks.length; i++) {
      puback.copy(out, i * 4);
      out.writeUInt16BE(acks[i], i * 4 + 2);
    }
    acks = [];
    client.wire.write(out);
  };
}

/** Runs `task(i)` for i in [0, n) with at most `concurrency` running at once. */
async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
}

const subscriberTracks: Map<number, Track>[] = [];

async function setUp(plan: WorkerPlan): Promise<void> {
  const t0 = performance.now();
  const prefix = `bench-${plan.runId}-w${plan.workerIndex}`;
  const connect = async (name: string, keepaliveSec = 0, endpoint = plan.endpoint) => {
    const client = await LeanClient.connect(endpoint, `${prefix}-${name}`, { keepaliveSec });
    clients.push(client);
    return client;
  };
  const subscribers: LeanClient[] = new Array(plan.subscribers.length);
  await pool(plan.subscribers.length, plan.connectConcurrency, async (i) => {
    subscribers[i] = await connect(`s${plan.subscribers[i].id}`, 0, plan.subscriberEndpoint);
  });
  const publishers: LeanClient[] = new Array(plan.publishers.length);
  await pool(plan.publishers.length, plan.connectConcurrency, async (i) => {
    publishers[i] = await connect(`p${plan.publishers[i].id}`);
  });
  const idle: LeanClient[] = [];
  await pool(plan.idleConnections, plan.connectConcurrency, async (i) => {
    idle.push(await connect(`i${i}`, KEEPALIVE_SEC));
  });
  const extra = plan.extraSubscriptions;
  const holders: LeanClient[] = [];
  if (extra !== undefined) {
    for (let c = 0; c < extra.connections; c++) holders.push(await connect(`x${c}`, KEEPALIVE_SEC));
  }
  const connectMs = performance.now() - t0;

  const t1 = performance.now();
  let subscriptions = 0;
  await pool(plan.subscribers.length, plan.connectConcurrency, async (i) => {
    const tracks = new Map<number, Track>();
    subscriberTracks.push(tracks);
    attachSubscriber(subscribers[i], tracks);
    await subscribers[i].subscribe([plan.subscribers[i].filter], plan.qos);
    subscriptions++;
  });
  if (extra !== undefined) {
    await Promise.all(
      holders.map(async (client, c) => {
        const first = extra.firstIndex + c * extra.perConnection;
        const filters = Array.from({ length: extra.perConnection }, (_, k) => unrelatedFilter(first + k));
        await client.subscribe(filters, 0, { perPacket: extra.perPacket, window: 16 });
        subscriptions += filters.length;
      }),
    );
  }
  const subscribeMs = performance.now() - t1;

  plan.publishers.forEach((p, i) => {
    const pub = new Publisher(
      p,
      publishers[i],
      publishTemplate(p.topic, plan.payloadBytes, plan.qos),
      plan.qos,
    );
    publishersById.set(p.id, pub);
  });
  for (const client of clients) {
    client.wire.onClose((reason) => {
      if (!stopping) disconnects.push(`${client.clientId}: ${reason}`);
    });
  }
  if (idle.length + holders.length > 0) {
    // Keep-alive for the connections that never send anything else.
    const ping = pingreqPacket();
    setInterval(
      () => {
        for (const c of [...idle, ...holders]) if (!c.closed) c.wire.write(ping);
      },
      (KEEPALIVE_SEC * 1000) / 2,
    ).unref();
  }
  send({
    t: 'ready',
    connections: clients.length,
    connectMs: Math.round(connectMs),
    subscribeMs: Math.round(subscribeMs),
    subscriptions,
  });
}

let rateTimer: NodeJS.Timeout | undefined;
let tickTimer: NodeJS.Timeout | undefined;
let tickCount = 0;

function go(): void {
  running = true;
  const now = nowMs();
  const open: Publisher[] = [];
  for (const p of publishersById.values()) {
    p.lastProgressMs = now;
    p.rateStartMs = now;
    if (p.plan.ratePerSec !== undefined) open.push(p);
    else p.pump();
  }
  if (open.length > 0) {
    rateTimer = setInterval(() => {
      const t = nowMs();
      for (const p of open) p.rateTick(t);
    }, RATE_TICK_MS);
  }
  tickTimer = setInterval(tick, TICK_MS);
}

function tick(): void {
  const now = nowMs();
  if (running) {
    // A closed loop with no progress for a second has lost messages: reopen its window.
    for (const p of publishersById.values()) {
      if (p.plan.window === undefined || p.inFlight() === 0) continue;
      if (now - p.lastProgressMs > STALL_MS) {
        p.stalls++;
        p.forgiven += p.inFlight();
        p.lastProgressMs = now;
        markDirty(p);
      }
    }
  }
  tickCount++;
  const withLatency = tickCount % (1000 / TICK_MS) === 0;
  send({ t: 'tick', counters: { ...totals }, latency: withLatency ? snapshot(interval) : undefined });
  if (withLatency) interval.reset();
}

function stop(): void {
  running = false;
  if (rateTimer !== undefined) clearInterval(rateTimer);
  lastWindow = {
    published: totals.published - windowStart.published,
    delivered: totals.delivered - windowStart.delivered,
    acked: totals.acked - windowStart.acked,
    expected: totals.expected - windowStart.expected,
    ms: performance.now() - windowStartMs,
  };
  send({ t: 'stopped', window: { ...lastWindow } });
}

function report(): void {
  stopping = true;
  if (tickTimer !== undefined) clearInterval(tickTimer);
  const receivedTallies: ReceiveTally[] = [];
  for (const tracks of subscriberTracks) {
    for (const [from, t] of tracks) {
      const sum = received.get(from) ?? { maxSeq: 0, unique: 0, duplicates: 0 };
      sum.unique += t.unique;
      sum.duplicates += t.duplicates;
      received.set(from, sum);
    }
  }
  for (const [from, t] of received)
    receivedTallies.push({ from, unique: t.unique, duplicates: t.duplicates });
  const bye = disconnectPacket();
  const result: FromWorker = {
    t: 'result',
    result: {
      window: { ...lastWindow },
      totals: { ...totals },
      publishers: [...publishersById.values()].map((p) => p.tally()),
      received: receivedTallies,
      latency: encodeHistogram(latency),
      ackLatency: encodeHistogram(ackLatency),
      foreign,
      disconnects: disconnects.slice(0, 20),
    },
  };
  for (const c of clients) {
    if (c.closed) continue;
    c.wire.write(bye);
    c.close();
  }
  send(result, () => setTimeout(() => process.exit(0), 100));
}

let lastWindow: Counters & { ms: number } = { published: 0, delivered: 0, acked: 0, expected: 0, ms: 0 };

process.on('message', (msg: ToWorker) => {
  switch (msg.t) {
    case 'plan':
      setUp(msg.plan).catch((err: unknown) => fail(err));
      break;
    case 'go':
      go();
      break;
    case 'measure':
      windowStart = { ...totals };
      windowStartMs = performance.now();
      latency.reset();
      ackLatency.reset();
      break;
    case 'stop':
      stop();
      break;
    case 'report':
      report();
      break;
  }
});

// The coordinator went away (Ctrl-C, crash): nothing left to report to.
process.on('disconnect', () => {
  if (!stopping) process.exit(0);
});

function fail(err: unknown): void {
  send({ t: 'error', message: err instanceof Error ? err.message : String(err) });
  setTimeout(() => process.exit(1), 100);
}
