// subs: does a broker slow down when it holds many subscriptions that the traffic never
// matches? Runs the pairs load, then subscribes `--subscriptions` distinct filters from
// `--sub-connections` connections (exact and wildcard filters under devices/, fleet/,
// sensors/ and bench/other/, as index-subs; `--per-packet` per SUBSCRIBE), then runs the
// same pairs load again on the same broker. A ratio near 1 means the extra subscriptions
// cost nothing per message; also reported: subscribe rate and broker RSS per subscription.
import { type LoadResult, startHolder } from '../load/coordinator.js';
import { compact } from '../report/svg.js';
import { formatInt, numberFlag } from '../scenario.js';
import { memory } from '../system/proc.js';
import { defineBrokerScenario, emptyPlan, loadNotes, lossText, ms, msFormat, pct } from './broker-bench.js';
import { type PairsSettings, pairsFlags, parsePairs, runPairs } from './pairs.js';

interface SubsSettings {
  pairs: PairsSettings;
  subscriptions: number;
  connections: number;
  perPacket: number;
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
}

export const subs = defineBrokerScenario<SubsFigures>({
  name: 'subs',
  description: 'pairs load before and after adding N distinct unmatched subscriptions on a few connections',
  flags: {
    ...pairsFlags({ pairs: 20, window: 100, payload: 64 }),
    subscriptions: { type: 'string', default: '100000', description: 'extra subscriptions (never matched)' },
    'sub-connections': { type: 'string', default: '10', description: 'connections holding them' },
    'per-packet': { type: 'string', default: '100', description: 'filters per SUBSCRIBE packet' },
  },
  settings: (args): SubsSettings => {
    const connections = numberFlag(args, 'sub-connections', { min: 1, integer: true });
    const subscriptions = numberFlag(args, 'subscriptions', { min: connections, integer: true });
    return {
      pairs: parsePairs(args, 0),
      subscriptions,
      connections,
      perPacket: numberFlag(args, 'per-packet', { min: 1, integer: true, max: 10_000 }),
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
  ],
  notes: (cells) => [
    ...loadNotes(cells, (f) => f.before).map((n) => `before: ${n}`),
    ...loadNotes(cells, (f) => f.after).map((n) => `after: ${n}`),
  ],
});
