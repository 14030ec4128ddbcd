// The match cache in front of a TopicIndex: topic → frozen result, bounded, oldest out first.
//
// It is kept current by patching, as nats `sublist.go` does (addToCache / removeFromCache):
// when a (filter, value) pair is added, every cached topic the filter matches gets a copy of
// its result with the value appended; when a pair is removed, every cached topic the filter
// matches gets a copy without one occurrence of the value. Entries the filter does not match
// are left alone, so connection churn on unrelated filters does not turn the cache cold.
//
// A patched result is a new frozen array, never the old one changed in place: callers hold
// a result while they deliver, and what a delivery sets off may subscribe or unsubscribe,
// so an array a caller is iterating must not change under it.
//
// A patched result holds the same values as a fresh trie walk, possibly in another order
// (an appended value comes last); callers treat a result as a multiset.
//
// A wildcard filter is checked against every cached topic, so a burst of changes with no
// match in between (a client subscribing thousands of filters, sessions adopted from a dead
// node) would cost cache size × burst. Patching pays as it goes for keeping the cache; a
// clear pays at most one walk per topic matched again. So once the scans since the last
// match exceed REFILL_IN_SCANS × cache size, the cache is cleared (ski rental): the rest of
// the burst is free, and steady churn between matches keeps patching.

import { topicMatches } from './topic.js';

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * About how many scans of one cached topic cost as much as refilling it. Measured on node
 * 20: walking a topic with two matches in a 100,000-filter trie and caching the result
 * took ~400 ns; a scan from ~5 ns (the prefix check fails) to ~120 ns (`topicMatches` on
 * a three-level near miss), ~50 ns over a mix. 400 / 50 is 8, doubled because a refill is
 * paid by a publish (a miss on the delivery path) while a scan is paid by the subscribe.
 */
const REFILL_IN_SCANS = 16;

/**
 * Where the first `+` or `#` level of `filter` starts, or -1 if it has none. In a valid
 * filter these characters appear only as whole levels.
 */
function firstWildcard(filter: string): number {
  const plus = filter.indexOf('+');
  const hash = filter.indexOf('#');
  return plus < 0 ? hash : hash < 0 ? plus : Math.min(plus, hash);
}

export class MatchCache<T> {
  private readonly entries = new Map<string, readonly T[]>();
  /** Lookups that found / did not find the topic (for tests and metrics). */
  hits = 0;
  misses = 0;
  /** `topicMatches` calls made by patches since the last lookup. */
  private scansSinceLookup = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(topic: string): readonly T[] | undefined {
    this.scansSinceLookup = 0;
    const result = this.entries.get(topic);
    if (result === undefined) this.misses++;
    else this.hits++;
    return result;
  }

  /** Caches a freshly walked result; when full, the oldest entry goes. */
  set(topic: string, result: readonly T[]): void {
    if (this.entries.size >= this.capacity) {
      // Map iterates in insertion order: the first key is the oldest entry. A patch
      // replaces a value under its key, which keeps the key's place.
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(topic, result);
  }

  /** The pair (filter, value) was added to the index. */
  added(filter: string, value: T): void {
    this.patch(filter, (result) => Object.freeze([...result, value]));
  }

  /** The pair (filter, value) was removed from the index. */
  removed(filter: string, value: T): void {
    this.patch(filter, (result) => {
      // A value added under two filters that both match is there twice: drop one.
      const at = result.lastIndexOf(value);
      if (at < 0) return undefined; // cannot happen while the cache is kept right: re-walk
      if (result.length === 1) return EMPTY;
      const next = result.slice();
      next.splice(at, 1);
      return Object.freeze(next);
    });
  }

  /** Replaces the result of every cached topic `filter` matches; undefined drops the entry. */
  private patch(filter: string, update: (result: readonly T[]) => readonly T[] | undefined): void {
    const entries = this.entries;
    if (entries.size === 0) return;
    const wildcard = firstWildcard(filter);
    if (wildcard < 0) {
      // A literal filter matches exactly the topic spelled the same: one lookup, no scan.
      const result = entries.get(filter);
      if (result !== undefined) this.replace(filter, update(result));
      return;
    }
    this.scansSinceLookup += entries.size;
    if (this.scansSinceLookup > REFILL_IN_SCANS * entries.size) {
      entries.clear(); // a burst: see the top of this file
      return;
    }
    // The literal levels before the first wildcard, without the `/` before it (`a/#` matches
    // `a`): every topic the filter matches starts with them, and most cached topics fail
    // this one native comparison long before `topicMatches` would decide.
    const prefix = filter.slice(0, Math.max(0, wildcard - 1));
    // Setting an existing key while iterating a Map is safe: it neither adds nor moves keys.
    // Deleting the current key is safe as well.
    for (const topic of entries.keys()) {
      if (topic.startsWith(prefix) && topicMatches(filter, topic)) {
        this.replace(topic, update(entries.get(topic) as readonly T[]));
      }
    }
  }

  private replace(topic: string, result: readonly T[] | undefined): void {
    if (result === undefined) this.entries.delete(topic);
    else this.entries.set(topic, result);
  }
}
