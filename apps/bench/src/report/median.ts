// Medians over repeated runs of one (broker, transport) cell. Every number in the figures
// becomes the median of that number over the runs (the mean of the two middle values when
// the count is even); everything else (arrays such as per-second progress or per-publisher
// accounting, strings) comes from the representative run, the one whose primary figure is
// the median (the lower middle one when the count is even).

/** The median of `values` (NaN and non-numbers ignored); undefined when none is left. */
export function median(values: readonly (number | undefined)[]): number | undefined {
  const sorted = values
    .filter((v): v is number => typeof v === 'number' && !Number.isNaN(v))
    .sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Index of the run whose `primary` is the median (the lower middle one for an even count). */
export function representativeIndex<T>(runs: readonly T[], primary: (run: T) => number | undefined): number {
  const order = runs
    .map((run, i) => ({ i, v: primary(run) ?? Number.NEGATIVE_INFINITY }))
    .sort((a, b) => a.v - b.v);
  return order[(order.length - 1) >> 1].i;
}

/** `runs` merged into one: the median of each number, the rest from the representative run. */
export function medianFigures<T>(runs: readonly T[], primary: (run: T) => number | undefined): T {
  if (runs.length === 0) throw new Error('medianFigures: no runs');
  const rep = runs[representativeIndex(runs, primary)];
  return merge(runs as unknown[], rep) as T;
}

function merge(values: readonly unknown[], rep: unknown): unknown {
  if (typeof rep === 'number') {
    return values.every((v) => typeof v === 'number') ? median(values as number[]) : rep;
  }
  if (rep !== null && typeof rep === 'object' && !Array.isArray(rep)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rep)) {
      out[key] = merge(
        values.map((v) =>
          v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined,
        ),
        value,
      );
    }
    return out;
  }
  return rep;
}
