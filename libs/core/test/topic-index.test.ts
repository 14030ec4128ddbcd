// The subscription index: one test body run against the cached and uncached variants
// (as nats `sublist_test.go` does), plus a randomized comparison against `topicMatches`,
// and the match cache being patched, not cleared, by subscribes and unsubscribes.
import { describe, expect, it } from 'vitest';
import { defaultSubscriptionOptions, type IndexEntry, isSharedGroup, Session } from '../src/session.js';
import { SubscriptionIndex } from '../src/subscription-index.js';
import { topicMatches, validateTopicFilter } from '../src/topic.js';
import { TopicIndex } from '../src/topic-index.js';

const sorted = <T>(values: readonly T[]): T[] => [...values].sort();

/** mulberry32: a small seeded PRNG so a failing random case is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.each([
  ['cached', 1024],
  ['uncached', 0],
])('TopicIndex (%s)', (_variant, cacheSize) => {
  const make = <T = string>() => new TopicIndex<T>({ cacheSize });

  it('matches an exact filter only on the same topic', () => {
    const index = make();
    expect(index.add('a/b/c', 's1')).toBe(true);
    expect(index.match('a/b/c')).toEqual(['s1']);
    expect(index.match('a/b')).toEqual([]);
    expect(index.match('a/b/c/d')).toEqual([]);
    expect(index.match('a/b/x')).toEqual([]);
  });

  it('matches + as exactly one level, possibly empty', () => {
    const index = make();
    index.add('a/+/c', 'mid');
    index.add('+', 'top');
    index.add('+/+', 'two');
    expect(index.match('a/b/c')).toEqual(['mid']);
    expect(index.match('a//c')).toEqual(['mid']);
    expect(index.match('a/b/c/d')).toEqual([]);
    expect(index.match('x')).toEqual(['top']);
    expect(index.match('/finance')).toEqual(['two']);
  });

  it('matches # as the rest of the topic, including the parent: a/# matches a', () => {
    const index = make();
    index.add('a/#', 'a-all');
    index.add('#', 'all');
    expect(sorted(index.match('a'))).toEqual(['a-all', 'all']);
    expect(sorted(index.match('a/b/c'))).toEqual(['a-all', 'all']);
    expect(index.match('ab')).toEqual(['all']);
    expect(index.match('b/a')).toEqual(['all']);
  });

  it('does not match $ topics with filters starting with a wildcard [MQTT-4.7.2-1]', () => {
    const index = make();
    index.add('#', 'all');
    index.add('+/x', 'plus-x');
    index.add('+/#', 'plus-all');
    index.add('$SYS/#', 'sys');
    index.add('$SYS/+', 'sys-one');
    expect(sorted(index.match('$SYS/x'))).toEqual(['sys', 'sys-one']);
    expect(index.match('$SYS')).toEqual(['sys']);
    expect(sorted(index.match('a/x'))).toEqual(['all', 'plus-all', 'plus-x']);
  });

  it('keeps each (filter, value) pair once, and the same value under two filters twice', () => {
    const index = make<{ id: string }>();
    const v = { id: 'v' };
    expect(index.add('a/b', v)).toBe(true);
    expect(index.add('a/b', v)).toBe(false);
    expect(index.add('a/b', { id: 'v' })).toBe(true); // identity, not structure
    expect(index.add('a/+', v)).toBe(true);
    expect(index.size).toBe(3);
    expect(index.has('a/b', v)).toBe(true);
    expect(index.has('a/+', { id: 'v' })).toBe(false);
    expect(index.match('a/b').filter((x) => x === v)).toHaveLength(2);
    expect(index.match('a/b')).toHaveLength(3);
  });

  it('removes pairs, prunes empty nodes, and returns to size 0', () => {
    const index = make();
    const filters = ['a/b/c', 'a/b/#', 'a/+/c', '#', '+', 'a', 'a//c', '$SYS/#'];
    for (const f of filters) index.add(f, `v:${f}`);
    index.add('a/b/c', 'second');
    expect(index.size).toBe(filters.length + 1);
    expect(index.remove('a/b/c', 'missing')).toBe(false);
    expect(index.remove('x/y', 'v:x/y')).toBe(false);
    expect(index.remove('a/b/c', 'second')).toBe(true);
    expect(index.remove('a/b/c', 'second')).toBe(false);
    expect(index.match('a/b/c')).toContain('v:a/b/c');
    for (const f of filters) expect(index.remove(f, `v:${f}`), f).toBe(true);
    expect(index.size).toBe(0);
    expect(index.match('a/b/c')).toEqual([]);
    // No node survives: the root has no children left.
    const root = (index as unknown as { root: { isEmpty(): boolean } }).root;
    expect(root.isEmpty()).toBe(true);
  });

  it('prunes only the branch that became empty', () => {
    const index = make<number>();
    index.add('a/b/c', 1);
    index.add('a/b', 2);
    index.remove('a/b/c', 1);
    expect(index.match('a/b')).toEqual([2]);
    expect(index.has('a/b', 2)).toBe(true);
    index.add('a/b/c', 3);
    expect(index.match('a/b/c')).toEqual([3]);
  });

  it('sees adds and removes made after a match (cache invalidation)', () => {
    const index = make();
    index.add('a/b', 'first');
    expect(index.match('a/b')).toEqual(['first']);
    expect(index.match('x/y')).toEqual([]);
    index.add('a/+', 'second');
    index.add('x/#', 'x');
    expect(sorted(index.match('a/b'))).toEqual(['first', 'second']);
    expect(index.match('x/y')).toEqual(['x']);
    index.remove('a/b', 'first');
    expect(index.match('a/b')).toEqual(['second']);
    index.add('a/b', 'first'); // re-adding what was there before still invalidates
    expect(sorted(index.match('a/b'))).toEqual(['first', 'second']);
    expect(index.add('a/b', 'first')).toBe(false);
    expect(sorted(index.match('a/b'))).toEqual(['first', 'second']);
  });

  it('returns frozen results that callers cannot mutate', () => {
    const index = make();
    index.add('a/b', 'v');
    const result = index.match('a/b');
    expect(Object.isFrozen(result)).toBe(true);
    expect(() => (result as string[]).push('x')).toThrow(TypeError);
    expect(index.match('a/b')).toEqual(['v']);
    expect(Object.isFrozen(index.match('nothing/here'))).toBe(true);
  });

  it('keeps the cache bounded, and patched rather than emptied by an add', () => {
    const index = make<number>();
    index.add('t/+', 1);
    for (let i = 0; i < 3000; i++) expect(index.match(`t/${i}`)).toEqual([1]);
    expect(index.cachedTopics).toBe(Math.min(cacheSize, 3000));
    index.add('t/2999', 2);
    expect(index.cachedTopics).toBe(Math.min(cacheSize, 3000));
    expect(sorted(index.match('t/2999'))).toEqual([1, 2]);
    expect(index.match('t/2998')).toEqual([1]);
  });

  it('keeps a shared group as one entry: members join and leave without a new match result', () => {
    const index = new SubscriptionIndex(cacheSize);
    const [s1, s2, s3] = ['c1', 'c2', 'c3'].map((id) => new Session(id));
    const options = defaultSubscriptionOptions(1);
    const groupsOf = (topic: string) => index.match(topic).filter(isSharedGroup);
    const plain = index.add(s3, 'a/b', options).sub;
    expect(index.match('a/b')).toEqual([plain]);

    const first = index.add(s1, '$share/g/a/+', options);
    expect(first.newGroup).toBeDefined();
    const [group] = groupsOf('a/b');
    expect(group.members).toEqual([first.sub]);
    expect(index.match('a/b')).toHaveLength(2);

    // A second member joins the existing group: still one entry, now with two members.
    // Joining and leaving change the group, not the index: the cached result stays as it is.
    const trie = (index as unknown as { trie: TopicIndex<IndexEntry> }).trie;
    const cachedResult = index.match('a/b');
    const misses = trie.cacheMisses;
    const second = index.add(s2, '$share/g/a/+', options);
    expect(second.newGroup).toBeUndefined();
    expect(index.match('a/b')).toHaveLength(2);
    expect(groupsOf('a/b')).toEqual([group]);
    expect(group.members).toEqual([first.sub, second.sub]);

    // A member leaves, the group stays; the last leaves, the group goes.
    expect(index.remove(first.sub)).toBeUndefined();
    expect(groupsOf('a/b')).toEqual([group]);
    expect(group.members).toEqual([second.sub]);
    if (cacheSize > 0) expect(index.match('a/b')).toBe(cachedResult);
    expect(trie.cacheMisses).toBe(misses);
    expect(index.remove(second.sub)).toBe(group.key);
    expect(index.match('a/b')).toEqual([plain]);

    // Re-created: a new group object, which the result must hold instead of the old one.
    const again = index.add(s1, '$share/g/a/+', options);
    expect(again.newGroup).toBe(group.key);
    const [regrouped] = groupsOf('a/b');
    expect(regrouped).not.toBe(group);
    expect(regrouped.members).toEqual([again.sub]);
    expect(index.match('a/b')).toHaveLength(2);
    index.remove(plain);
    expect(index.match('a/b')).toEqual([regrouped]);
    expect(index.match('a/b/c')).toEqual([]);
  });

  it('rejects invalid filters on add', () => {
    const index = make();
    for (const f of ['', 'a/#/b', 'a+', 'a\u0000']) {
      expect(() => index.add(f, 'v'), JSON.stringify(f)).toThrow(TypeError);
    }
    expect(index.size).toBe(0);
  });

  it('handles many filters, matching only the relevant ones', () => {
    const index = make<number>();
    for (let i = 0; i < 5000; i++) {
      index.add(`devices/${i}/+/status`, i);
      index.add(`fleet/${i}/#`, i);
      index.add(`sensors/${i}/temp`, i);
    }
    index.add('devices/#', -1);
    expect(index.size).toBe(15_001);
    expect(sorted(index.match('devices/42/a/status'))).toEqual(sorted([42, -1]));
    expect(index.match('fleet/4999')).toEqual([4999]);
    expect(index.match('fleet/4999/x/y')).toEqual([4999]);
    expect(index.match('sensors/7/temp')).toEqual([7]);
    expect(index.match('sensors/7/humidity')).toEqual([]);
    expect(index.match('devices/5000/a/status')).toEqual([-1]);
    for (let i = 0; i < 5000; i++) {
      index.remove(`devices/${i}/+/status`, i);
      index.remove(`fleet/${i}/#`, i);
      index.remove(`sensors/${i}/temp`, i);
    }
    expect(index.size).toBe(1);
    expect(index.match('devices/42/a/status')).toEqual([-1]);
  });

  it('agrees with topicMatches over all filters for random filters and topics', () => {
    const rand = prng(0x5eed + cacheSize);
    const pick = <V>(xs: readonly V[]): V => xs[Math.floor(rand() * xs.length)];
    const words = ['a', 'b', 'c', ''];
    const randomTopic = () => {
      const depth = 1 + Math.floor(rand() * 4);
      const levels = Array.from({ length: depth }, () => pick(words));
      if (rand() < 0.15) levels[0] = '$SYS';
      return levels.join('/') || 'a'; // a topic is never empty [MQTT-4.7.3-1]
    };
    const randomFilter = () => {
      const depth = 1 + Math.floor(rand() * 4);
      const levels = Array.from({ length: depth }, () => {
        const r = rand();
        return r < 0.25 ? '+' : pick(words);
      });
      if (rand() < 0.2) levels[depth - 1] = '#';
      if (rand() < 0.1) levels[0] = '$SYS';
      return levels.join('/') || 'a';
    };

    const index = make<number>();
    const pairs = new Map<string, { filter: string; value: number }>();
    for (let i = 0; i < 300; i++) {
      const filter = randomFilter();
      expect(validateTopicFilter(filter), filter).toBe(true);
      const value = Math.floor(rand() * 50); // values shared between filters
      const key = `${filter}\u0000${value}`;
      expect(index.add(filter, value)).toBe(!pairs.has(key));
      pairs.set(key, { filter, value });
    }
    const topics = Array.from({ length: 300 }, randomTopic);

    /** Compares every topic against brute force; returns the number of matched pairs. */
    const check = (): number => {
      expect(index.size).toBe(pairs.size);
      let hits = 0;
      for (const topic of topics) {
        const expected: number[] = [];
        for (const { filter, value } of pairs.values()) {
          if (topicMatches(filter, topic)) expected.push(value);
        }
        expected.sort((x, y) => x - y);
        const actual = [...index.match(topic)].sort((x, y) => x - y);
        expect(actual, topic).toEqual(expected);
        expect(
          [...index.match(topic)].sort((x, y) => x - y),
          `${topic} again`,
        ).toEqual(expected);
        hits += expected.length;
      }
      return hits;
    };

    expect(check()).toBeGreaterThan(500); // the random case is not trivially empty
    for (const [key, { filter, value }] of pairs) {
      if (rand() < 0.5) {
        expect(index.remove(filter, value)).toBe(true);
        pairs.delete(key);
      }
    }
    check();
    for (let i = 0; i < 100; i++) {
      const filter = randomFilter();
      const value = 100 + i;
      index.add(filter, value);
      pairs.set(`${filter}\u0000${value}`, { filter, value });
    }
    check();
    for (const { filter, value } of pairs.values()) expect(index.remove(filter, value)).toBe(true);
    pairs.clear();
    check();
    expect((index as unknown as { root: { isEmpty(): boolean } }).root.isEmpty()).toBe(true);
  });
});

describe('TopicIndex options', () => {
  it('defaults to a 1024-entry cache', () => {
    const index = new TopicIndex<number>();
    index.add('#', 1);
    for (let i = 0; i < 2000; i++) index.match(`t/${i}`);
    expect(index.cachedTopics).toBe(1024);
  });

  it('rejects a negative or fractional cacheSize', () => {
    expect(() => new TopicIndex({ cacheSize: -1 })).toThrow(RangeError);
    expect(() => new TopicIndex({ cacheSize: 1.5 })).toThrow(RangeError);
  });
});

/** Random filters and topics over a few words, so that they often overlap. */
function randomTopics(rand: () => number) {
  const pick = <V>(xs: readonly V[]): V => xs[Math.floor(rand() * xs.length)];
  const words = ['a', 'b', 'c', ''];
  const topic = () => {
    const levels = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(words));
    if (rand() < 0.1) levels[0] = '$SYS';
    return levels.join('/') || 'a';
  };
  const filter = () => {
    const depth = 1 + Math.floor(rand() * 4);
    const levels = Array.from({ length: depth }, () => (rand() < 0.3 ? '+' : pick(words)));
    if (rand() < 0.25) levels[depth - 1] = '#';
    if (rand() < 0.1) levels[0] = '$SYS';
    return levels.join('/') || 'a';
  };
  return { pick, topic, filter };
}

describe('TopicIndex match cache', () => {
  const numeric = (values: readonly number[]) => [...values].sort((x, y) => x - y);

  it.each([
    ['1024 entries', 1024],
    ['16 entries (evicting)', 16],
  ])(
    'matches what an uncached index matches over random subscribes, unsubscribes and matches (%s)',
    (_name, cacheSize) => {
      const rand = prng(0xc4c4e + cacheSize);
      const { pick, topic, filter } = randomTopics(rand);
      const cached = new TopicIndex<number>({ cacheSize });
      const uncached = new TopicIndex<number>({ cacheSize: 0 });
      const topics = Array.from({ length: 60 }, topic);
      const pairs: { filter: string; value: number }[] = [];
      /** Results handed out earlier, with a copy of what they held: a patch must not change them. */
      const handedOut: { result: readonly number[]; copy: number[] }[] = [];
      let changes = 0;
      let hitsAfterChange = 0;

      for (let step = 0; step < 6000; step++) {
        const r = rand();
        if (r < 0.25 && pairs.length < 150) {
          // Values repeat, so one value sits under several filters, some of them matching the same topic.
          const pair = { filter: filter(), value: Math.floor(rand() * 40) };
          const added = cached.add(pair.filter, pair.value);
          expect(uncached.add(pair.filter, pair.value)).toBe(added);
          if (added) pairs.push(pair);
          changes++;
        } else if (r < 0.4 && pairs.length > 0) {
          const at = Math.floor(rand() * pairs.length);
          const { filter: f, value } = pairs[at];
          expect(cached.remove(f, value)).toBe(true);
          expect(uncached.remove(f, value)).toBe(true);
          pairs.splice(at, 1);
          changes++;
        } else if (r < 0.42) {
          // A pair that is not there: a remove that changes nothing must patch nothing.
          expect(cached.remove(filter(), 1000)).toBe(false);
          expect(uncached.remove(filter(), 1000)).toBe(false);
        } else {
          const t = pick(topics);
          const hits = cached.cacheHits;
          const result = cached.match(t);
          if (changes > 0 && cached.cacheHits > hits) hitsAfterChange++;
          changes = 0;
          expect(Object.isFrozen(result)).toBe(true);
          expect(numeric(result), `${t} at step ${step}`).toEqual(numeric(uncached.match(t)));
          if (rand() < 0.05) handedOut.push({ result, copy: [...result] });
        }
        expect(cached.size).toBe(uncached.size);
        expect(cached.cachedTopics).toBeLessThanOrEqual(cacheSize);
      }
      for (const t of topics) expect(numeric(cached.match(t)), t).toEqual(numeric(uncached.match(t)));
      for (const { result, copy } of handedOut) expect(result).toEqual(copy);
      // The sequence is not trivial: many matches were answered from a cache that had just been patched.
      expect(hitsAfterChange).toBeGreaterThan(200);
      expect(pairs.length).toBeGreaterThan(50);
    },
  );

  it('an unrelated subscribe or unsubscribe leaves a cached result in place (a cache hit, the same array)', () => {
    const index = new TopicIndex<string>();
    index.add('a/b', 'ab');
    index.add('a/+', 'a-any');
    const first = index.match('a/b');
    const nothing = index.match('q/r');
    expect(index.cacheMisses).toBe(2);
    expect(index.cachedTopics).toBe(2);

    // Churn on filters matching neither topic: literal and wildcard, add then remove.
    const unrelated = ['x/y', 'x/+', 'x/#', '+/c', 'a/b/c', 'a/+/', 'a/b/+', '$SYS/#', '+/+/+'];
    for (const f of unrelated) {
      expect(topicMatches(f, 'a/b') || topicMatches(f, 'q/r'), f).toBe(false);
      expect(index.add(f, 'churn')).toBe(true);
      expect(index.match('a/b')).toBe(first);
      expect(index.remove(f, 'churn')).toBe(true);
      expect(index.match('a/b')).toBe(first);
      expect(index.match('q/r')).toBe(nothing);
    }
    // With the cache cleared on every change, each of these would have walked the trie again.
    expect(index.cacheMisses).toBe(2);
    expect(index.cacheHits).toBe(3 * unrelated.length);
    expect(index.cachedTopics).toBe(2);
    expect(first).toEqual(['ab', 'a-any']);
  });

  it('a matching subscribe or unsubscribe patches the cached result with a new array', () => {
    const index = new TopicIndex<string>();
    index.add('a/b', 'ab');
    const before = index.match('a/b');
    const empty = index.match('c/d');
    index.add('a/#', 'a-all');
    index.add('+/d', 'any-d');
    const misses = index.cacheMisses;
    const added = index.match('a/b');
    expect(sorted(added)).toEqual(['a-all', 'ab']);
    expect(index.match('c/d')).toEqual(['any-d']);
    expect(index.cacheMisses).toBe(misses); // answered from the patched entries
    expect(before).toEqual(['ab']); // the array handed out earlier is untouched
    expect(empty).toEqual([]);
    expect(Object.isFrozen(added)).toBe(true);

    index.remove('a/b', 'ab');
    index.remove('+/d', 'any-d');
    expect(index.match('a/b')).toEqual(['a-all']);
    expect(index.match('c/d')).toEqual([]);
    expect(index.cacheMisses).toBe(misses);
    expect(sorted(added)).toEqual(['a-all', 'ab']);
  });

  it('removes one occurrence of a value that two matching filters hold', () => {
    const index = new TopicIndex<string>();
    index.add('a/+', 'v');
    index.add('a/#', 'v');
    index.add('a/b', 'w');
    expect(sorted(index.match('a/b'))).toEqual(['v', 'v', 'w']);
    index.remove('a/#', 'v');
    expect(sorted(index.match('a/b'))).toEqual(['v', 'w']);
    index.add('+/b', 'v');
    expect(sorted(index.match('a/b'))).toEqual(['v', 'v', 'w']);
    index.remove('a/+', 'v');
    index.remove('+/b', 'v');
    expect(index.match('a/b')).toEqual(['w']);
    expect(index.cacheMisses).toBe(1);
  });

  it('keeps $ topics out of patches by wildcard-first filters [MQTT-4.7.2-1]', () => {
    const index = new TopicIndex<string>();
    expect(index.match('$SYS/x')).toEqual([]);
    index.add('#', 'all');
    index.add('+/x', 'plus-x');
    expect(index.match('$SYS/x')).toEqual([]);
    index.add('$SYS/+', 'sys');
    expect(index.match('$SYS/x')).toEqual(['sys']);
    expect(index.cacheMisses).toBe(1);
  });

  it('clears instead of patching during a long burst of wildcard changes with no match between', () => {
    const index = new TopicIndex<number>();
    for (let i = 0; i < 100; i++) index.match(`t/${i}`);
    expect(index.cachedTopics).toBe(100);
    // Steady churn, a match between changes: always patched, never cleared.
    for (let i = 0; i < 200; i++) {
      index.add(`u/${i}/+`, i);
      index.match('t/0');
    }
    expect(index.cachedTopics).toBe(100);
    // Literal filters cost one lookup each, so they never count towards a burst.
    for (let i = 0; i < 1000; i++) index.add(`v/${i}`, i);
    expect(index.cachedTopics).toBe(100);
    // A burst (a client subscribing many wildcard filters at once): the cache goes, and the
    // rest of the burst costs no scans; matches afterwards walk and are right.
    for (let i = 0; i < 1000; i++) index.add(`w/${i}/#`, i);
    expect(index.cachedTopics).toBe(0);
    expect(index.match('w/7/x')).toEqual([7]);
    expect(index.match('t/0')).toEqual([]);
  });
});
