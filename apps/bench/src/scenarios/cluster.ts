// cluster: the `pairs` load across a 2-node cluster. Each cell gets a fresh Redis and two
// broker nodes on it (EdgeMQ: two `bin/edgemq` with EDGEMQ_REDIS_URL; aedes: two aedes
// processes with aedes-persistence-redis and mqemitter-redis). Every publisher connects to
// node 1 and its subscriber to node 2, so every message crosses Redis. Closed loop, at most
// `--window` in flight per pair, QoS 0, 64 B.
//
// Besides the load figures (broker CPU and RSS summed over both nodes): Redis commands per
// delivered message, from `INFO commandstats` (sum of calls) read right before and right
// after the measured window, divided by the messages delivered in it; and Redis's own CPU.
// Target (from the issue): EdgeMQ delivers at least 3× the Aedes cluster with p99 < 20 ms.
import { clusterBrokerNames, endpointOf } from '../brokers/broker.js';
import { type LoadResult, runLoad } from '../load/coordinator.js';
import { compact } from '../report/svg.js';
import { formatInt } from '../scenario.js';
import { CpuMeter } from '../system/proc.js';
import { type CommandDelta, commandStats, commandsBetween } from '../system/redis.js';
import {
  type Cell,
  defineBrokerScenario,
  loadColumns,
  loadMetrics,
  loadNotes,
  ms,
  pct,
  ratioText,
} from './broker-bench.js';
import { type PairsSettings, pairsFlags, pairsPlans, parsePairs } from './pairs.js';

/** Pause after everyone has subscribed (on node 2) before node 1's publishers start. */
const SETTLE_MS = 1000;

export const TARGET = { minRatio: 3, maxP99Ms: 20 } as const;

interface ClusterFigures extends LoadResult, PairsSettings {
  nodes: number;
  /** Redis commands run during the measured window (all clients: both nodes). */
  redisCommands: number;
  redisCommandsPerDelivery: number;
  /** The most-called commands of the window. */
  redisTopCommands: CommandDelta['top'];
  redisCpuPct: number;
}

const commandsFormat = (v: number): string =>
  v > 0 && v < 0.1 ? v.toPrecision(2) : v < 10 ? v.toFixed(2) : compact(v);

export const cluster = defineBrokerScenario<ClusterFigures>({
  name: 'cluster',
  description:
    'publishers on node 1, subscribers on node 2 of a 2-node cluster over one Redis: N pairs, QoS 0, 64 B, at most --window in flight per pair',
  topology: 'cluster',
  brokers: clusterBrokerNames,
  flagDefaults: { transport: 'ws' },
  flags: pairsFlags({ pairs: 20, window: 100, payload: 64 }),
  settings: (args) => parsePairs(args, 0),
  async measure(ctx) {
    const s = ctx.settings as PairsSettings;
    const redis = ctx.broker.redis;
    if (redis === undefined || ctx.broker.nodes.length < 2)
      throw new Error('cluster: expected 2 nodes on a Redis');
    const publishTo = endpointOf(ctx.broker, ctx.transport, 0);
    const subscribeTo = endpointOf(ctx.broker, ctx.transport, 1);
    const plans = pairsPlans(ctx, s).map((p) => ({
      ...p,
      endpoint: publishTo,
      subscriberEndpoint: subscribeTo,
    }));
    let before: Awaited<ReturnType<typeof commandStats>> | undefined;
    let after: Awaited<ReturnType<typeof commandStats>> | undefined;
    let redisCpu: CpuMeter | undefined;
    let redisCpuPct = 0;
    const result = await runLoad({
      label: ctx.label,
      plans,
      warmupMs: ctx.common.warmupSeconds * 1000,
      measureMs: ctx.common.seconds * 1000,
      brokerPids: ctx.broker.pids,
      settleMs: SETTLE_MS,
      window: {
        async opening() {
          before = await commandStats(redis.url);
          redisCpu = CpuMeter.forPids(() => [redis.pid]);
        },
        async closed() {
          redisCpuPct = redisCpu?.read() ?? 0;
          after = await commandStats(redis.url);
        },
      },
    });
    const delta = commandsBetween(before!, after!);
    return {
      ...s,
      ...result,
      nodes: ctx.broker.nodes.length,
      redisCommands: delta.total,
      redisCommandsPerDelivery: result.windowDelivered > 0 ? delta.total / result.windowDelivered : 0,
      redisTopCommands: delta.top,
      redisCpuPct,
    };
  },
  columns: [
    ...loadColumns((f: ClusterFigures) => f),
    { header: 'Redis cmd/msg', value: (c) => commandsFormat(c.figures.redisCommandsPerDelivery) },
    { header: 'Redis CPU', value: (c) => pct(c.figures.redisCpuPct) },
  ],
  metrics: [
    ...loadMetrics((f: ClusterFigures) => f),
    {
      header: 'Redis cmd/msg',
      better: 'lower',
      get: (f) => f.redisCommandsPerDelivery,
      format: commandsFormat,
      chart: 'Redis commands per delivered message',
    },
  ],
  notes: (cells) => [
    ...loadNotes(cells, (f) => f),
    ...cells.map(
      (c) =>
        `${c.broker}/${c.transport}: Redis commands in the window: ${Object.entries(
          c.figures.redisTopCommands,
        )
          .map(([cmd, n]) => `${cmd} ${formatInt(n)}`)
          .join(', ')}`,
    ),
  ],
  targets: clusterTargets,
});

/** "EdgeMQ ≥ 3× the Aedes cluster's msg/s, with p99 < 20 ms", per transport, on the medians. */
export function clusterTargets(cells: Cell<ClusterFigures>[]): string[] {
  const lines: string[] = [];
  for (const ours of cells.filter((c) => c.broker === 'edgemq')) {
    const peer = cells.find((c) => c.broker === 'aedes' && c.transport === ours.transport);
    const p99 = ours.figures.latency.p99Ms;
    const goal = `target (${ours.transport}): the 2-node EdgeMQ cluster delivers ≥ ${TARGET.minRatio}× the 2-node Aedes cluster, with p99 < ${TARGET.maxP99Ms} ms`;
    if (peer === undefined || peer.figures.deliveredPerSec === 0) {
      lines.push(`${goal}: not checked (no Aedes figures); EdgeMQ p99 ${ms(p99)} ms`);
      continue;
    }
    const ratio = ours.figures.deliveredPerSec / peer.figures.deliveredPerSec;
    const met = ratio >= TARGET.minRatio && p99 < TARGET.maxP99Ms;
    lines.push(`${goal}: ${met ? 'MET' : 'NOT MET'} (${ratioText(ratio)}, p99 ${ms(p99)} ms)`);
  }
  return lines;
}
