// Prometheus text from a node's GET /metrics, reduced to name{labels} -> value, and the
// difference between two scrapes: how the broker's own counters moved during a scenario.

export type MetricSample = ReadonlyMap<string, number>;

export async function scrapeMetrics(httpPort: number): Promise<MetricSample | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`, {
      signal: AbortSignal.timeout(3000),
    });
    if (!response.ok) return undefined;
    return parseMetrics(await response.text());
  } catch {
    return undefined; // a dead or frozen node has no metrics to give
  }
}

export function parseMetrics(text: string): MetricSample {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) samples.set(line.slice(0, space), value);
  }
  return samples;
}

// prom-client's default metrics share the edgemq_ prefix; they say nothing about messages.
const processDefaults = /^edgemq_(process|nodejs)_/;

/** EdgeMQ's own counters (`edgemq_*_total`, not the process defaults) that changed from `before` to `after`. */
export function brokerCounterChanges(
  before: MetricSample | undefined,
  after: MetricSample,
): Map<string, number> {
  const changes = new Map<string, number>();
  for (const [name, value] of after) {
    if (!/^edgemq_\w+_total\b/.test(name) || processDefaults.test(name)) continue;
    const delta = value - (before?.get(name) ?? 0);
    if (delta !== 0) changes.set(name, delta);
  }
  return changes;
}
