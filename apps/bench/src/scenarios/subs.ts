// subs: does a broker slow down when it holds many subscriptions that the traffic never
// matches? Runs the pairs load, then subscribes `--subscriptions` distinct filters from
// `--sub-connections` connections (exact and wildcard filters under devices/, fleet/,
// sensors/ and bench/other/, as index-subs; `--per-packet` per SUBSCRIBE), then runs the
// same pairs load again on the same broker. A ratio near 1 means the extra subscriptions
// cost nothing per message; also reported: subscribe rate and broker RSS per subscription.
// Then the churn variant: the same load once more while subscriptions to unmatched filters
// come and go: by default (`--churn-mode subscriptions`) 10 long-lived clients subscribe
// and unsubscribe at `--churn` changes per second; with `--churn-mode connections`,
// `--churn` clients per second connect, subscribe `--churn-filters` filters, stay
// `--churn-hold-ms` and leave. "churn ÷ after" near 1 means subscription changes do not
// slow matching (a match cache cleared on every change would keep hot topics cold).
import { type Churner, type ChurnFigures, ConnectionChurner, ResubscribeChurner } from '../load/churner.js';
import { type LoadResult, startHolder } from '../load/coordinator.js';
import { compact } from '../report/svg.js';
import { formatInt, numberFlag } from '../scenario.js';
import { memory } from '../system/proc.js';
import {
  type CellContext,
  defineBrokerScenario,
  emptyPlan,
  loadNotes,
  lossText,
  ms,
  msFormat,
  pct,
} from './broker-bench.js';
import { type PairsSettings, pairsFlags, parsePairs, runPairs } from './pairs.js';

interface SubsSettings {
  pairs: PairsSettings;
  subscriptions: number;
  connections: number;
  perPacket: number;
  churn: {
    mode: 'subscriptions' | 'connections';
    rate: number;
    filtersPerConnection: number;
    holdMs: number;
  };
}

interface SubsFigures {
  subscriptions: number;
  subscribeMs: number;
  subscriptionsPerSec: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesPerSubscription: number;
  before: LoadResult;
  after: LoadResult;
  /** after / before delivered msg/s. */
  ratio: number;
  /** The load again with subscription churn beside it (absent with --churn 0). */
  churn?: LoadResult & ChurnFigures & { ratio: number };
}

export const subs = defineBrokerScenario<SubsFigures>({
  name: 'subs',
  description: 'pairs load before and after adding N distinct unmatched subscriptions on a few connections',
  flags: {
    ...pairsFlags({ pairs: 20, window: 100, payload: 64 }),
    subscriptions: { type: 'string', default: '100000', description: 'extra subscriptions (never matched)' },
    'sub-connections': { type: 'string', default: '10', description: 'connections holding them' },
    'per-packet': { type: 'string', default: '100', description: 'filters per SUBSCRIBE packet' },
    churn: {
      type: 'string',
      default: '5000',
      description:
        'churn variant, in a third run: subscription changes/s (mode subscriptions) or clients/s that connect, subscribe and leave (mode connections); 0 = skip',
    },
    'churn-mode': { type: 'string', default: 'subscriptions', description: 'subscriptions | connections' },
    'churn-filters': {
      type: 'string',
      default: '4',
      description: 'mode connections: unmatched filters each churn client subscribes',
    },
    'churn-hold-ms': {
      type: 'string',
      default: '100',
      description: 'mode connections: how long a churn client stays after its SUBACK',
    },
  },
  settings: (args): SubsSettings => {
    const connections = numberFlag(args, 'sub-connections', { min: 1, integer: true });
    const subscriptions = numberFlag(args, 'subscriptions', { min: connections, integer: true });
    return {
      pairs: parsePairs(args, 0),
      subscriptions,
      connections,
      perPacket: numberFlag(args, 'per-packet', { min: 1, integer: true, max: 10_000 }),
      churn: {
        mode: churnMode(args.flags['churn-mode']),
        rate: numberFlag(args, 'churn', { min: 0, integer: true }),
        filtersPerConnection: numberFlag(args, 'churn-filters', { min: 1, integer: true }),
        holdMs: numberFlag(args, 'churn-hold-ms', { min: 0, integer: true }),
      },
    };
  },
  async measure(ctx) {
    const s = ctx.settings as SubsSettings;
    const pid = ctx.broker.pid;
    const before = await runPairs(ctx, s.pairs, `${ctx.label} before`);
    const rssBefore = memory(pid)!;
    const perConnection = Math.ceil(s.subscriptions / s.connections);
    process.stderr.write(`${ctx.label} subscribing ${formatInt(perConnection * s.connections)} filters\n`);
    const holder = await startHolder({
      ...emptyPlan(ctx, ctx.common.workers),
      extraSubscriptions: {
        connections: s.connections,
        perConnection,
        firstIndex: 0,
        perPacket: s.perPacket,
      },
    });
    try {
      const { subscriptions, subscribeMs } = holder.ready;
      process.stderr.write(
        `${ctx.label} ${formatInt(subscriptions)} subscribed in ${(subscribeMs / 1000).toFixed(1)} s\n`,
      );
      const rssAfter = memory(pid)!;
      const after = await runPairs(ctx, s.pairs, `${ctx.label} after `);
      const churn = s.churn.rate > 0 ? await runWithChurn(ctx, s, subscriptions, after) : undefined;
      return {
        subscriptions,
        subscribeMs,
        subscriptionsPerSec: subscriptions / (subscribeMs / 1000),
        rssBeforeBytes: rssBefore.rssBytes,
        rssAfterBytes: rssAfter.rssBytes,
        bytesPerSubscription: (rssAfter.rssBytes - rssBefore.rssBytes) / subscriptions,
        before,
        after,
        ratio: before.deliveredPerSec > 0 ? after.deliveredPerSec / before.deliveredPerSec : 0,
        ...(churn ? { churn } : {}),
      };
    } finally {
      await holder.close();
    }
  },
  columns: [
    { header: 'subs/s', value: (c) => formatInt(c.figures.subscriptionsPerSec) },
    { header: 'B/sub', value: (c) => formatInt(c.figures.bytesPerSubscription) },
    { header: 'deliv/s before', value: (c) => formatInt(c.figures.before.deliveredPerSec) },
    { header: 'deliv/s after', value: (c) => formatInt(c.figures.after.deliveredPerSec) },
    { header: 'ratio', value: (c) => c.figures.ratio.toFixed(2) },
    {
      header: 'deliv/s churn',
      value: (c) => (c.figures.churn ? formatInt(c.figures.churn.deliveredPerSec) : '–'),
    },
    { header: 'churn ÷ after', value: (c) => (c.figures.churn ? c.figures.churn.ratio.toFixed(2) : '–') },
    {
      header: 'sub changes/s',
      value: (c) => (c.figures.churn ? formatInt(c.figures.churn.changesPerSec) : '–'),
    },
    { header: 'p99 ms before', value: (c) => ms(c.figures.before.latency.p99Ms) },
    { header: 'p99 ms after', value: (c) => ms(c.figures.after.latency.p99Ms) },
    { header: 'lost after', value: (c) => lossText(c.figures.after) },
    { header: 'broker CPU after', value: (c) => pct(c.figures.after.brokerUsage.cpuPct) },
    {
      header: 'other CPU',
      value: (c) => pct(Math.max(c.figures.before.otherCpuPct, c.figures.after.otherCpuPct)),
    },
  ],
  metrics: [
    {
      header: 'deliv/s after',
      better: 'higher',
      get: (f) => f.after.deliveredPerSec,
      format: compact,
      chart: 'delivered msg/s with the extra subscriptions',
    },
    { header: 'after ÷ before', better: 'higher', get: (f) => f.ratio, format: (v) => v.toFixed(2) },
    {
      header: 'deliv/CPU-s after',
      better: 'higher',
      get: (f) => f.after.deliveredPerCpuSec,
      format: compact,
    },
    {
      header: 'p99 ms after',
      better: 'lower',
      get: (f) => f.after.latency.p99Ms,
      format: msFormat,
      chart: 'p99 latency with the extra subscriptions, ms',
    },
    { header: 'B/sub', better: 'lower', get: (f) => f.bytesPerSubscription, format: compact },
    {
      header: 'churn ÷ after',
      better: 'higher',
      get: (f) => f.churn?.ratio ?? 0,
      format: (v) => v.toFixed(2),
    },
  ],
  notes: (cells) => [
    ...loadNotes(cells, (f) => f.before).map((n) => `before: ${n}`),
    ...loadNotes(cells, (f) => f.after).map((n) => `after: ${n}`),
  ],
});

/** The pairs load once more, with clients subscribing and leaving beside it. */
async function runWithChurn(
  ctx: CellContext,
  s: SubsSettings,
  firstFilter: number,
  after: LoadResult,
): Promise<NonNullable<SubsFigures['churn']>> {
  const churner: Churner =
    s.churn.mode === 'connections'
      ? new ConnectionChurner(ctx.endpoint, { ...s.churn, connectionsPerSec: s.churn.rate, firstFilter })
      : await ResubscribeChurner.connect(ctx.endpoint, {
          changesPerSec: s.churn.rate,
          connections: 10,
          held: 100,
          firstFilter,
        });
  churner.start();
  let load: LoadResult;
  try {
    load = await runPairs(ctx, s.pairs, `${ctx.label} churn`);
  } catch (error) {
    churner.stop();
    throw error;
  }
  const figures = churner.stop();
  const ratio = after.deliveredPerSec > 0 ? load.deliveredPerSec / after.deliveredPerSec : 0;
  return { ...load, ...figures, ratio };
}

function churnMode(value: unknown): 'subscriptions' | 'connections' {
  if (value === 'subscriptions' || value === 'connections') return value;
  throw new Error(`--churn-mode must be subscriptions or connections, got ${String(value)}`);
}
