// What the nodes said during a scenario: warnings and errors they logged from the fault
// on, other output that was not a log line, and how their own counters (/metrics) moved
// from just before the fault to the end. Dead nodes contribute their log only.
import type { ChaosCluster } from './chaos-cluster.js';
import { logLinesSince, type NodeLogLine, plainLinesAfter } from './node-log.js';
import { brokerCounterChanges, type MetricSample, scrapeMetrics } from './node-metrics.js';

export interface NodeBaseline {
  readonly at: number;
  readonly metrics: ReadonlyMap<string, MetricSample | undefined>;
  readonly outputLength: ReadonlyMap<string, number>;
}

export interface NodeReport {
  readonly logLines: NodeLogLine[];
  /** Output lines that were not JSON log lines (a stack trace, a library's console.error). */
  readonly plainLines: string[];
  /** "node-a edgemq_dropped_queue_overflow_total +12". */
  readonly counterChanges: string[];
}

export async function nodeBaseline(cluster: ChaosCluster): Promise<NodeBaseline> {
  const metrics = new Map<string, MetricSample | undefined>();
  const outputLength = new Map<string, number>();
  await Promise.all(
    cluster.nodes.map(async (node) => {
      metrics.set(node.id, node.alive() ? await scrapeMetrics(node.httpPort) : undefined);
      outputLength.set(node.id, node.spawned.output().length);
    }),
  );
  return { at: Date.now(), metrics, outputLength };
}

export async function nodeReport(cluster: ChaosCluster, baseline: NodeBaseline): Promise<NodeReport> {
  const logLines: NodeLogLine[] = [];
  const plainLines: string[] = [];
  const counterChanges: string[] = [];
  for (const node of cluster.nodes) {
    const output = node.spawned.output();
    logLines.push(...logLinesSince(node.id, output, baseline.at));
    plainLines.push(
      ...plainLinesAfter(output, baseline.outputLength.get(node.id) ?? 0).map((l) => `${node.id}: ${l}`),
    );
    if (!node.alive()) continue;
    const after = await scrapeMetrics(node.httpPort);
    if (after === undefined) continue;
    for (const [name, delta] of brokerCounterChanges(baseline.metrics.get(node.id), after)) {
      counterChanges.push(`${node.id} ${name} ${delta > 0 ? '+' : ''}${delta}`);
    }
  }
  return { logLines, plainLines, counterChanges };
}
