// index-subs: does TopicIndex.match slow down as unrelated subscriptions pile up?
//
// Builds an index with `--pairs` subscriptions `bench/pair/<i>` and measures matches/s on
// the topics `bench/pair/<i>`. Then adds `--unrelated` subscriptions that never match those
// topics, a mix of exact and wildcard filters (`devices/<n>/+/status`, `fleet/<n>/#`,
// `sensors/<n>/temperature`, and `bench/other/<n>`, which shares the `bench` level), and
// measures again. A trie that walks only matching branches keeps the ratio near 1. Runs
// once per `--cache-sizes` entry: with the match cache every timed match is a cache hit, so
// the uncached run (0) is the one that measures the trie walk.
//
// Method: the "before" index (pairs only) stays alive next to the "after" index (the same
// pairs plus the unrelated filters), and the two are measured in alternating slices of
// SLICE_MS until each has had `--seconds`. Measured one after the other, the second figure
// came out 20-50% faster even with `--unrelated 0` (JIT tiering, young-generation growth,
// a noisy host); alternating cancels that drift and gives both the same heap. Check the
// method with `--unrelated 0`: the ratio should be about 1.
import { TopicIndex } from '@edgemq/core';
import {
  formatInt,
  numberFlag,
  numberListFlag,
  printJsonLine,
  printTable,
  type Scenario,
  type ScenarioArgs,
} from '../scenario.js';

interface Run {
  cacheSize: number;
  baselineMatchesPerSec: number;
  loadedMatchesPerSec: number;
  /** loaded / baseline: 1 means the unrelated subscriptions cost nothing. */
  ratio: number;
  addUnrelatedMs: number;
}

interface Tally {
  matches: number;
  ms: number;
}

const WARMUP_MS = 500;
const SLICE_MS = 100;
const BATCH = 1000;

export const indexSubs: Scenario = {
  name: 'index-subs',
  description: 'TopicIndex matches/s on pair topics, with and without many unrelated subscriptions',
  flags: {
    seconds: { type: 'string', default: '3', description: 'measuring time per figure, in seconds' },
    pairs: {
      type: 'string',
      default: '100',
      description: 'subscriptions bench/pair/<i> (and topics matched)',
    },
    unrelated: { type: 'string', default: '100000', description: 'unrelated subscriptions added' },
    'cache-sizes': {
      type: 'string',
      default: '1024,0',
      description: 'comma-separated TopicIndex cacheSize values, one run each; 0 = uncached',
    },
  },
  async run(args: ScenarioArgs): Promise<void> {
    const seconds = numberFlag(args, 'seconds', { min: 0.1 });
    const pairs = numberFlag(args, 'pairs', { min: 1, integer: true });
    const unrelated = numberFlag(args, 'unrelated', { min: 0, integer: true });
    const cacheSizes = numberListFlag(args, 'cache-sizes', { integer: true });

    const runs = cacheSizes.map((cacheSize) => runOnce(cacheSize, pairs, unrelated, seconds));

    console.log(
      `index-subs: TopicIndex.match on ${formatInt(pairs)} topics bench/pair/<i>, ${seconds} s per figure, node ${process.version}`,
    );
    printTable(
      [
        'cache',
        `${formatInt(pairs)} subs (match/s)`,
        `+${formatInt(unrelated)} unrelated (match/s)`,
        'ratio',
        'add (ms)',
      ],
      runs.map((r) => [
        r.cacheSize === 0 ? 'off' : `${r.cacheSize}`,
        formatInt(r.baselineMatchesPerSec),
        formatInt(r.loadedMatchesPerSec),
        r.ratio.toFixed(2),
        formatInt(r.addUnrelatedMs),
      ]),
    );
    printJsonLine({ scenario: 'index-subs', seconds, pairs, unrelated, node: process.version, runs });
  },
};

function runOnce(cacheSize: number, pairs: number, unrelated: number, seconds: number): Run {
  const topics = Array.from({ length: pairs }, (_, i) => `bench/pair/${i}`);
  const before = pairIndex(cacheSize, topics);
  const after = pairIndex(cacheSize, topics);
  const start = performance.now();
  for (let n = 0; n < unrelated; n++) after.add(unrelatedFilter(n), pairs + n);
  const addUnrelatedMs = performance.now() - start;
  if (after.size !== pairs + unrelated) {
    throw new Error(`expected ${pairs + unrelated} subscriptions, got ${after.size}`);
  }
  checkPairs(before, topics);
  checkPairs(after, topics);

  const baseline: Tally = { matches: 0, ms: 0 };
  const loaded: Tally = { matches: 0, ms: 0 };
  timedLoop(before, topics, WARMUP_MS, { matches: 0, ms: 0 });
  timedLoop(after, topics, WARMUP_MS, { matches: 0, ms: 0 });
  const slices = Math.max(1, Math.round((seconds * 1000) / SLICE_MS));
  for (let s = 0; s < slices; s++) {
    // Swap which goes first each slice, so neither always runs right after the other.
    if (s % 2 === 0) {
      timedLoop(before, topics, SLICE_MS, baseline);
      timedLoop(after, topics, SLICE_MS, loaded);
    } else {
      timedLoop(after, topics, SLICE_MS, loaded);
      timedLoop(before, topics, SLICE_MS, baseline);
    }
  }
  const baselineRate = baseline.matches / (baseline.ms / 1000);
  const loadedRate = loaded.matches / (loaded.ms / 1000);
  return {
    cacheSize,
    baselineMatchesPerSec: Math.round(baselineRate),
    loadedMatchesPerSec: Math.round(loadedRate),
    ratio: Math.round((loadedRate / baselineRate) * 1000) / 1000,
    addUnrelatedMs: Math.round(addUnrelatedMs),
  };
}

function pairIndex(cacheSize: number, topics: readonly string[]): TopicIndex<number> {
  const index = new TopicIndex<number>({ cacheSize });
  topics.forEach((topic, i) => {
    index.add(topic, i);
  });
  return index;
}

function unrelatedFilter(n: number): string {
  switch (n % 4) {
    case 0:
      return `devices/${n}/+/status`;
    case 1:
      return `fleet/${n}/#`;
    case 2:
      return `sensors/${n}/temperature`;
    default:
      return `bench/other/${n}`;
  }
}

/** Each pair topic must match exactly its own subscription. */
function checkPairs(index: TopicIndex<number>, topics: readonly string[]): void {
  topics.forEach((topic, i) => {
    const result = index.match(topic);
    if (result.length !== 1 || result[0] !== i) {
      throw new Error(`${topic} matched ${JSON.stringify(result)}, expected [${i}]`);
    }
  });
}

/** Matches the pair topics in turn for `durationMs`, adding the count and time to `tally`. */
function timedLoop(
  index: TopicIndex<number>,
  topics: readonly string[],
  durationMs: number,
  tally: Tally,
): void {
  const n = topics.length;
  let matched = 0; // also keeps the JIT from discarding the calls
  let count = 0;
  let i = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  let now = start;
  do {
    for (let k = 0; k < BATCH; k++) {
      matched += index.match(topics[i]).length;
      if (++i === n) i = 0;
    }
    count += BATCH;
    now = performance.now();
  } while (now < deadline);
  if (matched !== count) throw new Error(`expected ${count} matches, got ${matched}`);
  tally.matches += count;
  tally.ms += now - start;
}
