// pairs, qos1, large: N publisher → own-subscriber pairs, each on its own topic
// `bench/pair/<i>`, closed loop (at most `--window` messages in flight per pair: a publisher
// sends more only as its subscriber receives them, and at QoS 1 as the broker acknowledges).
// The pairs differ only in QoS and payload size, so they share this file.
import { type LoadResult, runLoad } from '../load/coordinator.js';
import type { PublisherPlan, SubscriberPlan, WorkerPlan } from '../load/plan.js';
import { formatInt, numberFlag, type Scenario, type ScenarioArgs } from '../scenario.js';
import {
  type CellContext,
  type Column,
  deal,
  defineBrokerScenario,
  emptyPlan,
  loadColumns,
  loadMetrics,
  loadNotes,
  ms,
} from './broker-bench.js';

export interface PairsSettings {
  pairs: number;
  window: number;
  payloadBytes: number;
  qos: 0 | 1;
}

export function pairsFlags(defaults: { pairs: number; window: number; payload: number }) {
  return {
    pairs: {
      type: 'string' as const,
      default: String(defaults.pairs),
      description: 'publisher/subscriber pairs',
    },
    window: {
      type: 'string' as const,
      default: String(defaults.window),
      description: 'messages in flight per pair (closed loop)',
    },
    payload: {
      type: 'string' as const,
      default: String(defaults.payload),
      description: 'payload bytes (>= 16)',
    },
  };
}

export function parsePairs(args: ScenarioArgs, qos: 0 | 1): PairsSettings {
  return {
    pairs: numberFlag(args, 'pairs', { min: 1, integer: true, max: 100_000 }),
    window: numberFlag(args, 'window', { min: 1, integer: true, max: 65_535 }),
    payloadBytes: numberFlag(args, 'payload', { min: 16, integer: true, max: 16 * 1024 * 1024 }),
    qos,
  };
}

/** One worker plan per worker, pairs dealt round-robin (a pair's two ends share a worker). */
export function pairsPlans(ctx: CellContext, s: PairsSettings): WorkerPlan[] {
  const ids = Array.from({ length: s.pairs }, (_, i) => i);
  return deal(ids, ctx.common.workers).map((mine, w) => {
    const publishers: PublisherPlan[] = mine.map((i) => ({
      id: i,
      topic: `bench/pair/${i}`,
      window: s.window,
      copies: 1,
    }));
    const subscribers: SubscriberPlan[] = mine.map((i) => ({ id: i, filter: `bench/pair/${i}` }));
    return { ...emptyPlan(ctx, w), qos: s.qos, payloadBytes: s.payloadBytes, publishers, subscribers };
  });
}

export function runPairs(ctx: CellContext, s: PairsSettings, label = ctx.label): Promise<LoadResult> {
  return runLoad({
    label,
    plans: pairsPlans(ctx, s),
    warmupMs: ctx.common.warmupSeconds * 1000,
    measureMs: ctx.common.seconds * 1000,
    brokerPids: ctx.broker.pids,
  });
}

type PairsFigures = LoadResult & { pairs: number; window: number; payloadBytes: number; qos: 0 | 1 };

function pairsScenario(opts: {
  name: string;
  description: string;
  qos: 0 | 1;
  defaults: { pairs: number; window: number; payload: number };
  extraColumns?: Column<PairsFigures>[];
}): Scenario {
  return defineBrokerScenario<PairsFigures>({
    name: opts.name,
    description: opts.description,
    flags: pairsFlags(opts.defaults),
    settings: (args) => parsePairs(args, opts.qos),
    measure: async (ctx) => {
      const s = ctx.settings as PairsSettings;
      return { ...s, ...(await runPairs(ctx, s)) };
    },
    columns: [...loadColumns((f: PairsFigures) => f), ...(opts.extraColumns ?? [])],
    metrics: loadMetrics((f: PairsFigures) => f),
    notes: (cells) => loadNotes(cells, (f) => f),
  });
}

export const pairs = pairsScenario({
  name: 'pairs',
  description: 'N publisher→own-subscriber pairs, QoS 0, 64 B, at most --window in flight per pair',
  qos: 0,
  defaults: { pairs: 20, window: 100, payload: 64 },
});

export const qos1 = pairsScenario({
  name: 'qos1',
  description: 'N pairs at QoS 1 (publish and subscribe), in-flight window per pair, 64 B',
  qos: 1,
  defaults: { pairs: 20, window: 100, payload: 64 },
  extraColumns: [
    { header: 'acked/s', value: (c) => formatInt(c.figures.ackedPerSec) },
    { header: 'PUBACK p99 ms', value: (c) => ms(c.figures.ackLatency?.p99Ms) },
  ],
});

export const large = pairsScenario({
  name: 'large',
  description: 'N pairs with 64 KiB payloads, QoS 0, closed loop',
  qos: 0,
  defaults: { pairs: 10, window: 8, payload: 65536 },
  extraColumns: [
    {
      header: 'deliv MiB/s',
      value: (c) => ((c.figures.deliveredPerSec * c.figures.payloadBytes) / 1048576).toFixed(0),
    },
  ],
});
