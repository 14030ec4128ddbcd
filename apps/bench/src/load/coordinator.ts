// Runs one load against one broker: forks the workers, walks them through the phases
// (connect → warm-up → measure → stop → drain → report), prints a progress line each
// second, samples the broker's CPU and RSS from /proc, and adds up what the workers saw.
import { type ChildProcess, fork } from 'node:child_process';
import { onCleanup } from '../system/cleanup.js';
import { CpuMeter, memory } from '../system/proc.js';
import { addEncoded, type LatencySummary, newHistogram, summarize } from './histogram.js';
import type { Counters, FromWorker, LatencySnapshot, ToWorker, WorkerPlan, WorkerResult } from './plan.js';

const WORKER_SCRIPT = new URL('./worker.js', import.meta.url);
const DRAIN_QUIET_MS = 2000;
const DRAIN_MAX_MS = 10_000;

type ReadyInfo = Extract<FromWorker, { t: 'ready' }>;

/** One forked worker and the messages it has sent. */
class WorkerHandle {
  readonly child: ChildProcess;
  counters: Counters = { published: 0, delivered: 0, acked: 0, expected: 0 };
  latency: LatencySnapshot | undefined;
  private waiting = new Map<string, (msg: FromWorker) => void>();
  private failure: Error | undefined;
  private failed: ((err: Error) => void)[] = [];
  private finished = false;
  readonly release: () => Promise<void>;

  constructor(plan: WorkerPlan) {
    this.child = fork(WORKER_SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.release = onCleanup(() => this.kill());
    this.child.on('message', (msg: FromWorker) => {
      if (msg.t === 'tick') {
        this.counters = msg.counters;
        if (msg.latency !== undefined) this.latency = msg.latency;
        return;
      }
      if (msg.t === 'error') {
        this.fail(new Error(`worker ${plan.workerIndex}: ${msg.message}`));
        return;
      }
      if (msg.t === 'result') this.finished = true;
      const waiter = this.waiting.get(msg.t);
      this.waiting.delete(msg.t);
      waiter?.(msg);
    });
    this.child.on('exit', (code, signal) => {
      if (!this.finished) this.fail(new Error(`worker ${plan.workerIndex} exited (${code ?? signal})`));
    });
    this.send({ t: 'plan', plan });
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(msg: ToWorker): void {
    if (this.child.connected) this.child.send(msg);
  }

  next<T extends FromWorker['t']>(t: T, timeoutMs: number): Promise<Extract<FromWorker, { t: T }>> {
    return new Promise((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      const timer = setTimeout(() => {
        this.waiting.delete(t);
        reject(new Error(`worker ${this.pid}: no '${t}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.failed.push((err) => {
        clearTimeout(timer);
        reject(err);
      });
      this.waiting.set(t, (msg) => {
        clearTimeout(timer);
        resolve(msg as Extract<FromWorker, { t: T }>);
      });
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.waiting.clear();
    for (const f of this.failed.splice(0)) f(err);
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }

  /** Asks for the result; the worker then closes its connections and exits. */
  async finish(timeoutMs = 30_000): Promise<WorkerResult> {
    const result = this.next('result', timeoutMs);
    this.send({ t: 'report' });
    const { result: r } = await result;
    await new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
      setTimeout(resolve, 3000).unref();
    });
    await this.release();
    return r;
  }
}

export interface BrokerFigures {
  /** Average over the measured window, summed over the broker's processes; 100 = one core. */
  cpuPct: number;
  rssBytes: number;
  peakRssBytes: number;
}

export interface ProgressSample {
  second: number;
  phase: 'warmup' | 'measure';
  publishedPerSec: number;
  deliveredPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  brokerCpuPct: number;
  brokerRssBytes: number;
  loadCpuPct: number;
}

export interface PublisherAccount {
  id: number;
  sent: number;
  expected: number;
  received: number;
  lost: number;
  duplicates: number;
  skipped: number;
  stalls: number;
}

export interface LoadResult {
  connections: number;
  connectMs: number;
  subscribeMs: number;
  windowMs: number;
  /** Messages received in the measured window (duplicates included). */
  windowDelivered: number;
  publishedPerSec: number;
  deliveredPerSec: number;
  /** Deliveries per second of broker CPU time (all its processes): the broker's efficiency. */
  deliveredPerCpuSec: number;
  ackedPerSec: number;
  latency: LatencySummary;
  ackLatency?: LatencySummary;
  published: number;
  expected: number;
  received: number;
  lost: number;
  lossPct: number;
  duplicates: number;
  worstPublisherLossPct: number;
  skipped: number;
  stalls: number;
  foreign: number;
  disconnects: string[];
  /** The broker process over the measured window. */
  brokerUsage: BrokerFigures;
  loadCpuPct: number;
  /**
   * Machine CPU% in the window not used by the broker or the load workers: other processes
   * (and this coordinator). High values mean a noisy host and figures to distrust.
   */
  otherCpuPct: number;
  progress: ProgressSample[];
  drain: DrainOutcome;
  /** Per publisher: sent, expected deliveries, received, lost, duplicates. */
  perPublisher: PublisherAccount[];
}

export interface LoadSpec {
  /** Shown at the start of each progress line. */
  label: string;
  plans: WorkerPlan[];
  warmupMs: number;
  measureMs: number;
  /** The broker's processes (two nodes of a cluster): CPU and RSS are summed over them. */
  brokerPids: readonly number[];
  /** Pause between every worker being ready and the start of publishing. */
  settleMs?: number;
  /**
   * Called right before the measured window opens and right after it closes (e.g. to
   * read Redis's command counters); awaited, so keep them short.
   */
  window?: { opening(): Promise<void>; closed(): Promise<void> };
}

const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Forks workers for `spec.plans`, runs the phases, returns the figures. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const workers = spec.plans.map((plan) => new WorkerHandle(plan));
  try {
    return await drive(spec, workers);
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await Promise.all(workers.map((w) => w.release()));
  }
}

async function drive(spec: LoadSpec, workers: WorkerHandle[]): Promise<LoadResult> {
  const ready = await Promise.all(workers.map((w) => w.next('ready', 120_000)));
  const connections = ready.reduce((s, r) => s + r.connections, 0);
  const connectMs = Math.max(...ready.map((r) => r.connectMs));
  const subscribeMs = Math.max(...ready.map((r) => r.subscribeMs));

  const brokerCpu = CpuMeter.forPids(() => spec.brokerPids);
  const brokerMemory = () => sumMemory(spec.brokerPids);
  const loadCpu = CpuMeter.forPids(() => workers.map((w) => w.pid));
  const progress: ProgressSample[] = [];
  const sum = (): Counters =>
    workers.reduce(
      (s, w) => ({
        published: s.published + w.counters.published,
        delivered: s.delivered + w.counters.delivered,
        acked: s.acked + w.counters.acked,
        expected: s.expected + w.counters.expected,
      }),
      { published: 0, delivered: 0, acked: 0, expected: 0 },
    );

  let phase: 'warmup' | 'measure' = 'warmup';
  let second = 0;
  let last = sum();
  let lastAt = performance.now();
  const perSecond = setInterval(() => {
    const now = performance.now();
    const c = sum();
    const dt = (now - lastAt) / 1000;
    const lat = workers.map((w) => w.latency).filter((l): l is LatencySnapshot => l !== undefined);
    const sample: ProgressSample = {
      second: ++second,
      phase,
      publishedPerSec: (c.published - last.published) / dt,
      deliveredPerSec: (c.delivered - last.delivered) / dt,
      p50Ms: lat.length > 0 ? Math.max(...lat.map((l) => l.p50Ms)) : undefined,
      p99Ms: lat.length > 0 ? Math.max(...lat.map((l) => l.p99Ms)) : undefined,
      brokerCpuPct: brokerCpu.read(),
      brokerRssBytes: brokerMemory().rssBytes,
      loadCpuPct: loadCpu.read(),
    };
    progress.push(sample);
    last = c;
    lastAt = now;
    const latText =
      sample.p99Ms === undefined
        ? ''
        : `  p50 ${sample.p50Ms!.toFixed(2)} ms  p99 ${sample.p99Ms.toFixed(2)} ms`;
    process.stderr.write(
      `  ${spec.label}  ${String(second).padStart(3)}s ${phase.padEnd(7)}  pub ${int(sample.publishedPerSec)}/s  ` +
        `deliv ${int(sample.deliveredPerSec)}/s${latText}  | broker cpu ${Math.round(sample.brokerCpuPct)}% ` +
        `rss ${mb(sample.brokerRssBytes)}  | load cpu ${Math.round(sample.loadCpuPct)}%\n`,
    );
  }, 1000);

  try {
    if (spec.settleMs) await sleep(spec.settleMs);
    for (const w of workers) w.send({ t: 'go' });
    await sleep(spec.warmupMs);
    await spec.window?.opening();
    for (const w of workers) w.send({ t: 'measure' });
    const windowBrokerCpu = CpuMeter.forPids(() => spec.brokerPids);
    const windowLoadCpu = CpuMeter.forPids(() => workers.map((w) => w.pid));
    const windowHostCpu = CpuMeter.forHost();
    phase = 'measure';
    await sleep(spec.measureMs);
    const stopped = Promise.all(workers.map((w) => w.next('stopped', 10_000)));
    for (const w of workers) w.send({ t: 'stop' });
    const cpuPct = windowBrokerCpu.read();
    const loadCpuPct = windowLoadCpu.read();
    const hostCpuPct = windowHostCpu.read();
    const mem = brokerMemory();
    await spec.window?.closed();
    await stopped;
    clearInterval(perSecond);
    const drained = await drain(sum);
    const results = await Promise.all(workers.map((w) => w.finish()));
    return combine(results, {
      connections,
      connectMs,
      subscribeMs,
      brokerUsage: { cpuPct, ...mem },
      loadCpuPct,
      otherCpuPct: Math.max(0, hostCpuPct - cpuPct - loadCpuPct),
      progress,
      drain: drained,
    });
  } finally {
    clearInterval(perSecond);
  }
}

export interface DrainOutcome {
  /** Time from the stop of publishing until the drain ended. */
  ms: number;
  /** How it ended: every expected delivery arrived, nothing arrived for a while, or time ran out. */
  ended: 'complete' | 'quiet' | 'timeout';
}

/**
 * After publishing stops: waits until every expected delivery has arrived, or none has
 * arrived for DRAIN_QUIET_MS (the rest is lost), or DRAIN_MAX_MS has passed (the broker is
 * still delivering: "lost" then includes messages still queued).
 */
async function drain(sum: () => Counters): Promise<DrainOutcome> {
  const start = performance.now();
  let delivered = sum().delivered;
  let changedAt = start;
  for (;;) {
    const c = sum();
    const elapsed = performance.now() - start;
    if (c.delivered >= c.expected) return { ms: Math.round(elapsed), ended: 'complete' };
    if (c.delivered !== delivered) {
      delivered = c.delivered;
      changedAt = performance.now();
    } else if (performance.now() - changedAt >= DRAIN_QUIET_MS) {
      return { ms: Math.round(elapsed), ended: 'quiet' };
    }
    if (elapsed >= DRAIN_MAX_MS) return { ms: Math.round(elapsed), ended: 'timeout' };
    await sleep(50);
  }
}

function combine(
  results: WorkerResult[],
  extra: Pick<
    LoadResult,
    | 'connections'
    | 'connectMs'
    | 'subscribeMs'
    | 'brokerUsage'
    | 'loadCpuPct'
    | 'otherCpuPct'
    | 'progress'
    | 'drain'
  >,
): LoadResult {
  const latency = newHistogram();
  const ackLatency = newHistogram();
  const received = new Map<number, { unique: number; duplicates: number }>();
  let published = 0;
  let delivered = 0;
  let acked = 0;
  let windowMs = 0;
  let foreign = 0;
  const disconnects: string[] = [];
  for (const r of results) {
    addEncoded(latency, r.latency);
    addEncoded(ackLatency, r.ackLatency);
    published += r.window.published;
    delivered += r.window.delivered;
    acked += r.window.acked;
    windowMs = Math.max(windowMs, r.window.ms);
    foreign += r.foreign;
    disconnects.push(...r.disconnects);
    for (const t of r.received) {
      const s = received.get(t.from) ?? { unique: 0, duplicates: 0 };
      s.unique += t.unique;
      s.duplicates += t.duplicates;
      received.set(t.from, s);
    }
  }
  const publishers: PublisherAccount[] = results
    .flatMap((r) => r.publishers)
    .sort((a, b) => a.id - b.id)
    .map((p) => {
      const got = received.get(p.id) ?? { unique: 0, duplicates: 0 };
      const expected = p.sent * p.copies;
      return {
        id: p.id,
        sent: p.sent,
        expected,
        received: got.unique,
        lost: Math.max(0, expected - got.unique),
        duplicates: got.duplicates,
        skipped: p.skipped,
        stalls: p.stalls,
      };
    });
  const total = (f: (p: PublisherAccount) => number) => publishers.reduce((s, p) => s + f(p), 0);
  const expected = total((p) => p.expected);
  const lost = total((p) => p.lost);
  const seconds = windowMs / 1000;
  const pct = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : 0);
  return {
    ...extra,
    windowMs: Math.round(windowMs),
    windowDelivered: delivered,
    publishedPerSec: seconds > 0 ? published / seconds : 0,
    deliveredPerSec: seconds > 0 ? delivered / seconds : 0,
    deliveredPerCpuSec:
      seconds > 0 && extra.brokerUsage.cpuPct > 0
        ? delivered / seconds / (extra.brokerUsage.cpuPct / 100)
        : 0,
    ackedPerSec: seconds > 0 ? acked / seconds : 0,
    latency: summarize(latency),
    ackLatency: ackLatency.totalCount > 0 ? summarize(ackLatency) : undefined,
    published: total((p) => p.sent),
    expected,
    received: total((p) => p.received),
    lost,
    lossPct: pct(lost, expected),
    duplicates: total((p) => p.duplicates),
    worstPublisherLossPct: Math.max(0, ...publishers.map((p) => pct(p.lost, p.expected))),
    skipped: total((p) => p.skipped),
    stalls: total((p) => p.stalls),
    foreign,
    disconnects,
    perPublisher: publishers,
  };
}

/** A worker that only holds connections (idle clients, extra subscriptions) until released. */
export interface Holder {
  readonly pid: number;
  readonly ready: ReadyInfo;
  close(): Promise<WorkerResult>;
}

export async function startHolder(plan: WorkerPlan, timeoutMs = 300_000): Promise<Holder> {
  const worker = new WorkerHandle(plan);
  try {
    const ready = await worker.next('ready', timeoutMs);
    return { pid: worker.pid, ready, close: () => worker.finish() };
  } catch (err) {
    await worker.kill();
    await worker.release();
    throw err;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS and peak RSS summed over `pids` (processes gone count 0). */
export function sumMemory(pids: readonly number[]): { rssBytes: number; peakRssBytes: number } {
  return pids.reduce(
    (sum, pid) => {
      const m = memory(pid);
      return {
        rssBytes: sum.rssBytes + (m?.rssBytes ?? 0),
        peakRssBytes: sum.peakRssBytes + (m?.peakRssBytes ?? 0),
      };
    },
    { rssBytes: 0, peakRssBytes: 0 },
  );
}
