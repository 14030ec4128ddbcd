// The subscription index: one test body run against the cached and uncached variants
// (as nats `sublist_test.go` does), plus a randomized comparison against `topicMatches`.
import { describe, expect, it } from 'vitest';
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

  it('keeps the cache bounded', () => {
    const index = make<number>();
    index.add('t/+', 1);
    for (let i = 0; i < 3000; i++) expect(index.match(`t/${i}`)).toEqual([1]);
    expect(index.cachedTopics).toBe(Math.min(cacheSize, 3000));
    index.add('t/0', 2);
    expect(index.cachedTopics).toBe(0);
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
