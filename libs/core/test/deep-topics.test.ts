// Topics and filters far deeper than any call stack: every walk over topic levels must be
// iterative. A recursive walk overflowed the stack (RangeError) from about 3,700 levels in
// the retained index and about 15,000 in the subscription trie, and one client publishing
// such a topic could end the node. The protocol caps levels (mqtt.maxTopicLevels), but the
// structures must not depend on it.
import { describe, expect, it } from 'vitest';
import { MatchCache } from '../src/match-cache.js';
import { RetainedIndex } from '../src/retained-index.js';
import { topicMatches, validateTopicFilter } from '../src/topic.js';
import { TopicIndex } from '../src/topic-index.js';

const LEVELS = 100_000;
/** `a/a/…/a`: LEVELS levels, 199,999 characters (no size rule applies inside the structures). */
const deepTopic = Array(LEVELS).fill('a').join('/');
/** The deepest filter MQTT can carry: `+/+/…/+` in 65,535 bytes is 32,768 levels. */
const MQTT_MAX_LEVELS = 32_768;
const deepestFilter = Array(MQTT_MAX_LEVELS).fill('+').join('/');
const deepestTopic = Array(MQTT_MAX_LEVELS).fill('a').join('/');

describe('RetainedIndex with 100,000-level topics and filters', () => {
  it('adds, matches by #, + and the exact name, and removes a 100,000-level topic', () => {
    const index = new RetainedIndex();
    index.add(deepTopic);
    index.add('a/b');
    expect(index.match('#').sort()).toEqual([deepTopic, 'a/b'].sort());
    expect(index.match('a/#').sort()).toEqual([deepTopic, 'a/b'].sort());
    expect(index.match(deepTopic)).toEqual([deepTopic]);
    const allPlus = Array(LEVELS).fill('+').join('/');
    expect(index.match(allPlus)).toEqual([deepTopic]);
    expect(index.match(`${allPlus}/#`)).toEqual([deepTopic]);
    expect(index.match(`${deepTopic}/x`)).toEqual([]);
    index.remove(deepTopic);
    expect(index.size).toBe(1);
    expect(index.match('#')).toEqual(['a/b']);
  });
});

describe('TopicIndex with 100,000-level topics and the deepest filters MQTT allows', () => {
  it('matches a 100,000-level topic against #, a/# and a filter of 32,768 levels', () => {
    const index = new TopicIndex<string>();
    const deepPrefix = `${Array(MQTT_MAX_LEVELS - 1)
      .fill('+')
      .join('/')}/#`;
    expect(validateTopicFilter(deepPrefix)).toBe(true);
    index.add('#', 'hash');
    index.add('a/#', 'a-hash');
    index.add(deepPrefix, 'deep-prefix');
    index.add('b', 'unrelated');
    expect([...index.match(deepTopic)].sort()).toEqual(['a-hash', 'deep-prefix', 'hash']);
    // A second match is answered from the cache, which holds the deep topic like any other.
    expect([...index.match(deepTopic)].sort()).toEqual(['a-hash', 'deep-prefix', 'hash']);
  });

  it('adds, matches, finds and removes a filter of 32,768 levels', () => {
    const index = new TopicIndex<string>({ cacheSize: 0 });
    expect(validateTopicFilter(deepestFilter)).toBe(true);
    index.add(deepestFilter, 'deepest');
    index.add(deepestTopic, 'literal');
    expect(index.has(deepestFilter, 'deepest')).toBe(true);
    expect([...index.match(deepestTopic)].sort()).toEqual(['deepest', 'literal']);
    expect(index.match(`${deepestTopic}/a`)).toEqual([]);
    expect(index.remove(deepestFilter, 'deepest')).toBe(true);
    expect(index.remove(deepestTopic, 'literal')).toBe(true);
    expect(index.size).toBe(0);
    expect(index.match(deepestTopic)).toEqual([]);
  });
});

describe('MatchCache and topic helpers with 100,000-level topics', () => {
  it('patches a cached 100,000-level topic when a deep wildcard filter is added and removed', () => {
    const cache = new MatchCache<string>(4);
    cache.set(deepTopic, []);
    const deepPrefix = `${Array(MQTT_MAX_LEVELS - 1)
      .fill('+')
      .join('/')}/#`;
    cache.added(deepPrefix, 'deep');
    expect(cache.get(deepTopic)).toEqual(['deep']);
    cache.removed(deepPrefix, 'deep');
    expect(cache.get(deepTopic)).toEqual([]);
  });

  it('topicMatches walks 100,000 levels', () => {
    expect(topicMatches('#', deepTopic)).toBe(true);
    expect(topicMatches(deepTopic, deepTopic)).toBe(true);
    expect(topicMatches(Array(LEVELS).fill('+').join('/'), deepTopic)).toBe(true);
    expect(topicMatches(`${deepTopic}/+`, deepTopic)).toBe(false);
  });
});
