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
//
// Churn (`--churn`, connections per second; 0 skips it): does subscriber churn on other
// filters slow matching down? Connections come and go while the pair topics are matched:
// `--churn-connections` are alive, and `--churn` times a second one more subscribes
// `--churn-filters` fresh unrelated filters and the oldest unsubscribes its own, the
// connects and disconnects spread evenly over the matches. Measured on the "after" index
// in alternating slices, quiet and with churn, each for `--seconds`; the time the
// subscribes and unsubscribes take is counted in (matches/s over all the time) and also
// reported per change. A match cache that churn on other filters clears shows the cost
// here: every connect and disconnect makes the next match of every pair topic a miss.
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
  churn?: ChurnRun;
}

interface ChurnRun {
  /** The "after" index, no changes while matching (same loop as `churnMatchesPerSec`). */
  quietMatchesPerSec: number;
  /** The same index while connections subscribe and unsubscribe; their time counted in. */
  churnMatchesPerSec: number;
  /** churn / quiet: 1 means churn on other filters costs matching nothing. */
  ratio: number;
  /** Subscribes plus unsubscribes done per second of churn slices. */
  changesPerSec: number;
  /** Mean time of one subscribe or unsubscribe (index add/remove), microseconds. */
  usPerChange: number;
}

interface ChurnSettings {
  /** Connections per second that subscribe, and as many that unsubscribe. */
  rate: number;
  /** Connections alive at any time. */
  connections: number;
  /** Filters each connection subscribes. */
  filters: number;
}

interface Tally {
  matches: number;
  ms: number;
}

interface ChurnTally extends Tally {
  changes: number;
  changeMs: number;
}

const WARMUP_MS = 500;
const SLICE_MS = 100;
const BATCH = 1000;
/**
 * Matches between two looks at the clock in the churn loop: small, so connects and
 * disconnects land spread among the matches rather than in clumps (a cache cleared on
 * every change would be cleared once for a whole clump), yet large enough that reading
 * the clock costs little.
 */
const CHURN_BATCH = 100;

export const indexSubs: Scenario = {
  name: 'index-subs',
  description:
    'TopicIndex matches/s on pair topics: with and without many unrelated subscriptions, quiet and during churn',
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
    churn: {
      type: 'string',
      default: '1000',
      description:
        'connections/s subscribing (and as many unsubscribing) unrelated filters while matching; 0 = skip',
    },
    'churn-connections': {
      type: 'string',
      default: '100',
      description: 'churning connections alive at a time',
    },
    'churn-filters': {
      type: 'string',
      default: '4',
      description: 'unrelated filters per churning connection (half wildcard, half exact)',
    },
  },
  async run(args: ScenarioArgs): Promise<void> {
    const seconds = numberFlag(args, 'seconds', { min: 0.1 });
    const pairs = numberFlag(args, 'pairs', { min: 1, integer: true });
    const unrelated = numberFlag(args, 'unrelated', { min: 0, integer: true });
    const cacheSizes = numberListFlag(args, 'cache-sizes', { integer: true });
    const churn: ChurnSettings = {
      rate: numberFlag(args, 'churn', { min: 0 }),
      connections: numberFlag(args, 'churn-connections', { min: 1, integer: true }),
      filters: numberFlag(args, 'churn-filters', { min: 1, integer: true }),
    };

    const runs = cacheSizes.map((cacheSize) => runOnce(cacheSize, pairs, unrelated, seconds, churn));

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
    if (churn.rate > 0) {
      console.log(
        `index-subs churn: the same index (${formatInt(pairs)} pair + ${formatInt(unrelated)} unrelated subscriptions) quiet, and with ${formatInt(churn.rate)} connections/s subscribing ${churn.filters} unrelated filters each and as many unsubscribing (${formatInt(churn.connections)} alive)`,
      );
      printTable(
        ['cache', 'quiet (match/s)', 'churn (match/s)', 'ratio', 'changes/s', 'µs/change'],
        runs.map((r) => {
          const c = r.churn!;
          return [
            r.cacheSize === 0 ? 'off' : `${r.cacheSize}`,
            formatInt(c.quietMatchesPerSec),
            formatInt(c.churnMatchesPerSec),
            c.ratio.toFixed(2),
            formatInt(c.changesPerSec),
            c.usPerChange.toFixed(2),
          ];
        }),
      );
    }
    printJsonLine({ scenario: 'index-subs', seconds, pairs, unrelated, churn, node: process.version, runs });
  },
};

function runOnce(
  cacheSize: number,
  pairs: number,
  unrelated: number,
  seconds: number,
  churn: ChurnSettings,
): Run {
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
    churn: churn.rate > 0 ? churnRun(after, topics, seconds, churn, pairs + unrelated) : undefined,
  };
}

/** Quiet and churning slices, alternating, on `index`; see the top of this file. */
function churnRun(
  index: TopicIndex<number>,
  topics: readonly string[],
  seconds: number,
  settings: ChurnSettings,
  firstId: number,
): ChurnRun {
  const churner = new Churner(index, settings, firstId);
  const quiet: ChurnTally = { matches: 0, ms: 0, changes: 0, changeMs: 0 };
  const churned: ChurnTally = { matches: 0, ms: 0, changes: 0, changeMs: 0 };
  churnLoop(index, topics, WARMUP_MS, { matches: 0, ms: 0, changes: 0, changeMs: 0 });
  churnLoop(index, topics, WARMUP_MS, { matches: 0, ms: 0, changes: 0, changeMs: 0 }, churner);
  const slices = Math.max(1, Math.round((seconds * 1000) / SLICE_MS));
  for (let s = 0; s < slices; s++) {
    if (s % 2 === 0) {
      churnLoop(index, topics, SLICE_MS, quiet);
      churnLoop(index, topics, SLICE_MS, churned, churner);
    } else {
      churnLoop(index, topics, SLICE_MS, churned, churner);
      churnLoop(index, topics, SLICE_MS, quiet);
    }
  }
  churner.stop();
  checkPairs(index, topics);
  const quietRate = quiet.matches / (quiet.ms / 1000);
  const churnRate = churned.matches / (churned.ms / 1000);
  return {
    quietMatchesPerSec: Math.round(quietRate),
    churnMatchesPerSec: Math.round(churnRate),
    ratio: Math.round((churnRate / quietRate) * 1000) / 1000,
    changesPerSec: Math.round(churned.changes / (churned.ms / 1000)),
    usPerChange:
      churned.changes > 0 ? Math.round((churned.changeMs * 1000 * 100) / churned.changes) / 100 : 0,
  };
}

/**
 * Connections that come and go on an index at a steady rate: an event is either a new
 * connection subscribing its filters or the oldest unsubscribing its own, alternately, so
 * `connections` (or one more) are alive. The clock runs only inside churning slices.
 */
class Churner {
  /** The filters of each live connection, oldest first, and its id (the index value). */
  private readonly alive: { id: number; filters: string[] }[] = [];
  private nextId: number;
  private events = 0;
  private clockMs = 0;

  constructor(
    private readonly index: TopicIndex<number>,
    private readonly settings: ChurnSettings,
    firstId: number,
  ) {
    this.nextId = firstId;
    for (let c = 0; c < settings.connections; c++) this.connect();
  }

  /** Runs the events due after `ms` more of churning time; returns how many index changes. */
  advance(ms: number): number {
    this.clockMs += ms;
    const due = Math.floor((this.clockMs / 1000) * this.settings.rate * 2);
    let changes = 0;
    for (; this.events < due; this.events++) {
      if (this.events % 2 === 0) changes += this.connect();
      else changes += this.disconnect();
    }
    return changes;
  }

  stop(): void {
    while (this.alive.length > 0) this.disconnect();
  }

  private connect(): number {
    const id = this.nextId++;
    // Fresh filters per connection, numbered after everything the index has, so that
    // every subscribe is a new (filter, value) pair: devices/…/+, fleet/…/#, and exact.
    const first = id * this.settings.filters;
    const filters = Array.from({ length: this.settings.filters }, (_, k) => unrelatedFilter(first + k));
    for (const f of filters) this.index.add(f, id);
    this.alive.push({ id, filters });
    return filters.length;
  }

  private disconnect(): number {
    const gone = this.alive.shift();
    if (gone === undefined) return 0;
    for (const f of gone.filters) {
      if (!this.index.remove(f, gone.id)) throw new Error(`churn: ${f} of ${gone.id} was not subscribed`);
    }
    return gone.filters.length;
  }
}

/**
 * Matches the pair topics in turn for `durationMs` as `timedLoop` does, in smaller batches;
 * with a churner, runs its due connects and disconnects between batches and times them.
 * Quiet slices run the same loop without one, so the two figures differ only by the churn.
 */
function churnLoop(
  index: TopicIndex<number>,
  topics: readonly string[],
  durationMs: number,
  tally: ChurnTally,
  churner?: Churner,
): void {
  const n = topics.length;
  let matched = 0;
  let count = 0;
  let i = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  let last = start;
  let now = start;
  do {
    for (let k = 0; k < CHURN_BATCH; k++) {
      matched += index.match(topics[i]).length;
      if (++i === n) i = 0;
    }
    count += CHURN_BATCH;
    now = performance.now();
    if (churner !== undefined) {
      // The churn clock includes the time the changes take, so the rate holds.
      const changes = churner.advance(now - last);
      last = now;
      if (changes > 0) {
        const after = performance.now();
        tally.changes += changes;
        tally.changeMs += after - now;
        now = after;
      }
    }
  } while (now < deadline);
  if (matched !== count) throw new Error(`expected ${count} matches, got ${matched}`);
  tally.matches += count;
  tally.ms += now - start;
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
