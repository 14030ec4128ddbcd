// fanout and fanin: open-loop load at a fixed rate (`--rate`, messages published per second
// in total), QoS 0, 64 B. fanout: 1 publisher on `bench/fanout/0`, `--subscribers` clients
// subscribed to the wildcard `bench/fanout/#`, so each message is delivered that many times.
// fanin: `--publishers` clients on `bench/fanin/<i>`, one subscriber on `bench/fanin/+`.
// Open loop: publishers keep their rate whatever the broker does, so a broker that cannot
// keep up shows it as growing latency and loss rather than as a lower rate.
import { type LoadResult, runLoad } from '../load/coordinator.js';
import type { PublisherPlan, SubscriberPlan } from '../load/plan.js';
import { formatInt, numberFlag } from '../scenario.js';
import {
  type CellContext,
  deal,
  defineBrokerScenario,
  emptyPlan,
  loadColumns,
  loadMetrics,
  loadNotes,
} from './broker-bench.js';

interface FanSettings {
  publishers: number;
  subscribers: number;
  rate: number;
  payloadBytes: number;
}

type FanFigures = LoadResult & FanSettings;

function run(ctx: CellContext, s: FanSettings, kind: 'fanout' | 'fanin'): Promise<LoadResult> {
  const workers = ctx.common.workers;
  const publishers: PublisherPlan[] = Array.from({ length: s.publishers }, (_, i) => ({
    id: i,
    topic: `bench/${kind}/${i}`,
    ratePerSec: s.rate / s.publishers,
    copies: s.subscribers,
  }));
  const filter = kind === 'fanout' ? 'bench/fanout/#' : 'bench/fanin/+';
  const subscribers: SubscriberPlan[] = Array.from({ length: s.subscribers }, (_, i) => ({ id: i, filter }));
  // fanout: the subscribers are the work, spread them; fanin: the publishers are.
  const pubsByWorker = deal(publishers, workers);
  const subsByWorker = deal(subscribers, workers);
  const plans = Array.from({ length: workers }, (_, w) => ({
    ...emptyPlan(ctx, w),
    payloadBytes: s.payloadBytes,
    publishers: pubsByWorker[w],
    subscribers: subsByWorker[w],
  }));
  return runLoad({
    label: ctx.label,
    plans,
    warmupMs: ctx.common.warmupSeconds * 1000,
    measureMs: ctx.common.seconds * 1000,
    brokerPids: ctx.broker.pids,
  });
}

const rateColumn = {
  header: 'target pub/s',
  value: (c: { figures: FanFigures }) => formatInt(c.figures.rate),
};

export const fanout = defineBrokerScenario<FanFigures>({
  name: 'fanout',
  description:
    '1 publisher at --rate msg/s, --subscribers on a wildcard each receiving every message (default 100,000 deliveries/s), QoS 0, 64 B',
  flags: {
    subscribers: { type: 'string', default: '100', description: 'subscribers on bench/fanout/#' },
    rate: { type: 'string', default: '1000', description: 'messages published per second' },
    payload: { type: 'string', default: '64', description: 'payload bytes (>= 16)' },
  },
  settings: (args) => ({
    publishers: 1,
    subscribers: numberFlag(args, 'subscribers', { min: 1, integer: true }),
    rate: numberFlag(args, 'rate', { min: 1 }),
    payloadBytes: numberFlag(args, 'payload', { min: 16, integer: true }),
  }),
  measure: async (ctx) => {
    const s = ctx.settings as FanSettings;
    return { ...s, ...(await run(ctx, s, 'fanout')) };
  },
  columns: [rateColumn, ...loadColumns((f: FanFigures) => f)],
  metrics: loadMetrics((f: FanFigures) => f),
  notes: (cells) => loadNotes(cells, (f) => f),
});

export const fanin = defineBrokerScenario<FanFigures>({
  name: 'fanin',
  description: '--publishers at --rate msg/s in total, 1 subscriber on a wildcard receiving all, QoS 0, 64 B',
  flags: {
    publishers: { type: 'string', default: '100', description: 'publishers, each on bench/fanin/<i>' },
    rate: {
      type: 'string',
      default: '10000',
      description: 'messages published per second, all publishers together',
    },
    payload: { type: 'string', default: '64', description: 'payload bytes (>= 16)' },
  },
  settings: (args) => ({
    publishers: numberFlag(args, 'publishers', { min: 1, integer: true }),
    subscribers: 1,
    rate: numberFlag(args, 'rate', { min: 1 }),
    payloadBytes: numberFlag(args, 'payload', { min: 16, integer: true }),
  }),
  measure: async (ctx) => {
    const s = ctx.settings as FanSettings;
    return { ...s, ...(await run(ctx, s, 'fanin')) };
  },
  columns: [rateColumn, ...loadColumns((f: FanFigures) => f)],
  metrics: loadMetrics((f: FanFigures) => f),
  notes: (cells) => loadNotes(cells, (f) => f),
});
