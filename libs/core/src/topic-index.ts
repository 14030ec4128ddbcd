// The subscription index: which values (subscriptions) have a filter matching a topic.
//
// A trie over topic levels, after nats `sublist.go`. Each node has a map of literal
// children plus two wildcard slots, `+` and `#`, kept apart from the literals so a match
// walks only the branches that can match: at each level the exact child, the `+` child, and
// the `#` child (which matches the rest, including nothing: `a/#` matches `a`). The cost of
// a match therefore depends on the topic's depth and the number of matching filters, not on
// the number of unrelated subscriptions.
//
// In front of the trie sits a bounded cache from topic to result (`match-cache.ts`). An
// add or remove patches only the cached topics its filter matches, as nats does, so
// subscribers coming and going on other filters leave the cache warm. When full, the
// oldest entry goes (FIFO). Results are frozen arrays: the cached ones are shared between
// callers, and a patch makes a new array rather than change one a caller may hold.
//
// Filters are stored literally: a `$share/{group}/{filter}` subscription should be added
// under its inner filter (see `parseSharedFilter`), with the group in the value. The
// group is then one value: a member joining or leaving an existing group changes the
// group object, not the index, and cached results hold the group itself, so they need no
// patch; creating a group or removing its last member is an add or remove like any other.

import { MatchCache } from './match-cache.js';
import { validateTopicFilter } from './topic.js';

export interface TopicIndexOptions {
  /** Most topics whose match result is cached; 0 disables the cache. Default 1024. */
  cacheSize?: number;
}

export const DEFAULT_MATCH_CACHE_SIZE = 1024;

class TrieNode<T> {
  literal: Map<string, TrieNode<T>> | undefined = undefined;
  plus: TrieNode<T> | undefined = undefined;
  hash: TrieNode<T> | undefined = undefined;
  readonly values = new Set<T>();

  isEmpty(): boolean {
    return (
      this.values.size === 0 &&
      this.plus === undefined &&
      this.hash === undefined &&
      (this.literal === undefined || this.literal.size === 0)
    );
  }

  child(level: string): TrieNode<T> | undefined {
    if (level === '+') return this.plus;
    if (level === '#') return this.hash;
    return this.literal?.get(level);
  }

  ensureChild(level: string): TrieNode<T> {
    let node = this.child(level);
    if (node !== undefined) return node;
    node = new TrieNode<T>();
    if (level === '+') this.plus = node;
    else if (level === '#') this.hash = node;
    else {
      this.literal ??= new Map();
      this.literal.set(level, node);
    }
    return node;
  }

  deleteChild(level: string): void {
    if (level === '+') this.plus = undefined;
    else if (level === '#') this.hash = undefined;
    else this.literal?.delete(level);
  }
}

const EMPTY: readonly never[] = Object.freeze([]);

export class TopicIndex<T> {
  private readonly root = new TrieNode<T>();
  /** Undefined when the cache is off (cacheSize 0). */
  private readonly cache: MatchCache<T> | undefined;
  private pairs = 0;

  constructor(options: TopicIndexOptions = {}) {
    const cacheSize = options.cacheSize ?? DEFAULT_MATCH_CACHE_SIZE;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) {
      throw new RangeError(`TopicIndex cacheSize must be a non-negative integer, got ${cacheSize}`);
    }
    this.cache = cacheSize > 0 ? new MatchCache<T>(cacheSize) : undefined;
  }

  /** Number of (filter, value) pairs. */
  get size(): number {
    return this.pairs;
  }

  /** Number of topics whose result is cached now (for tests and metrics). */
  get cachedTopics(): number {
    return this.cache?.size ?? 0;
  }

  /** Matches answered from the cache, and matches that walked the trie (for tests and metrics). */
  get cacheHits(): number {
    return this.cache?.hits ?? 0;
  }

  get cacheMisses(): number {
    return this.cache?.misses ?? 0;
  }

  /**
   * Adds `value` under `filter`. Returns false if that exact pair (value compared with `===`)
   * was already there. Throws a TypeError on an invalid filter: validate at the protocol edge.
   */
  add(filter: string, value: T): boolean {
    if (!validateTopicFilter(filter)) throw new TypeError(`invalid topic filter: ${JSON.stringify(filter)}`);
    let node = this.root;
    for (const level of filter.split('/')) node = node.ensureChild(level);
    if (node.values.has(value)) return false;
    node.values.add(value);
    this.pairs++;
    this.cache?.added(filter, value);
    return true;
  }

  /** Removes the pair; returns false if it was not there. Prunes nodes left empty. */
  remove(filter: string, value: T): boolean {
    const levels = filter.split('/');
    const path: TrieNode<T>[] = [this.root];
    let node: TrieNode<T> | undefined = this.root;
    for (const level of levels) {
      node = node.child(level);
      if (node === undefined) return false;
      path.push(node);
    }
    if (!node.values.delete(value)) return false;
    this.pairs--;
    this.cache?.removed(filter, value);
    // path[i + 1] is the child of path[i] under levels[i].
    for (let i = levels.length - 1; i >= 0 && path[i + 1].isEmpty(); i--) {
      path[i].deleteChild(levels[i]);
    }
    return true;
  }

  has(filter: string, value: T): boolean {
    let node: TrieNode<T> | undefined = this.root;
    for (const level of filter.split('/')) {
      node = node.child(level);
      if (node === undefined) return false;
    }
    return node.values.has(value);
  }

  /**
   * Every value whose filter matches `topic` (a valid topic name), each (filter, value) pair
   * once; a value added under two matching filters appears twice. Filters starting with a
   * wildcard do not match topics starting with `$` [MQTT-4.7.2-1]. The order of the values
   * is unspecified (a cached result patched by an add has the new value last). The result
   * is frozen and may be shared with other callers: do not mutate it, copy it. A later add
   * or remove never changes a result already returned.
   */
  match(topic: string): readonly T[] {
    const cache = this.cache;
    if (cache === undefined) return this.walk(topic);
    const cached = cache.get(topic);
    if (cached !== undefined) return cached;
    const result = this.walk(topic);
    cache.set(topic, result);
    return result;
  }

  private walk(topic: string): readonly T[] {
    const levels = topic.split('/');
    const out: T[] = [];
    const root = this.root;
    if (topic.charCodeAt(0) === 0x24 /* $ */) {
      // [MQTT-4.7.2-1] skip the root's `+` and `#`: only literal `$...` branches match.
      const child = root.literal?.get(levels[0]);
      if (child !== undefined) collect(child, levels, 1, out);
    } else {
      collect(root, levels, 0, out);
    }
    return out.length === 0 ? EMPTY : Object.freeze(out);
  }
}

/**
 * Appends the values of every node under `start` matching `levels[startLevel..]`. Walks with
 * a stack of its own, not by recursion: a topic may have as many levels as its bytes allow
 * (32,768 in 65,535 bytes), far past what the call stack holds. Depth first, so the stack
 * never holds more than one waiting `+` branch per level, plus the branch being walked.
 */
function collect<T>(start: TrieNode<T>, levels: string[], startLevel: number, out: T[]): void {
  const nodes: TrieNode<T>[] = [start];
  const depths: number[] = [startLevel];
  for (let node = nodes.pop(); node !== undefined; node = nodes.pop()) {
    const i = depths.pop() as number;
    if (node.hash !== undefined) pushAll(node.hash.values, out); // `#` matches the rest, or nothing
    if (i === levels.length) {
      pushAll(node.values, out);
      continue;
    }
    // Last in, first out: the exact branch is walked before the `+` one, as recursion did.
    if (node.plus !== undefined) {
      nodes.push(node.plus);
      depths.push(i + 1);
    }
    const exact = node.literal?.get(levels[i]);
    if (exact !== undefined) {
      nodes.push(exact);
      depths.push(i + 1);
    }
  }
}

function pushAll<T>(values: Set<T>, out: T[]): void {
  for (const v of values) out.push(v);
}
