import { describe, expect, it } from 'vitest';
import { RetainedIndex } from '../src/retained-index.js';
import { topicMatches } from '../src/topic.js';

const topics = ['a', 'a/b', 'a/b/c', 'a/c', 'b/b', '$SYS/load', '$SYS/a/b', '/lead', 'a//b'];

describe('RetainedIndex', () => {
  const index = new RetainedIndex();
  for (const t of topics) index.add(t);

  it.each([
    'a',
    'a/#',
    '#',
    '+',
    '+/b',
    'a/+',
    'a/+/c',
    '+/+',
    '$SYS/#',
    '$SYS/+',
    '+/load',
    '/+',
    'a//b',
    'a/+/b',
    'x/#',
  ])('matches the same topics as topicMatches for %s', (filter) => {
    const expected = topics.filter((t) => topicMatches(filter, t)).sort();
    expect(index.match(filter).sort()).toEqual(expected);
  });

  it('[MQTT-4.7.2-1] a leading wildcard never returns $ topics', () => {
    expect(index.match('#').some((t) => t.startsWith('$'))).toBe(false);
    expect(index.match('+/load')).toEqual([]);
  });

  it('removes topics and prunes, keeping the others', () => {
    const local = new RetainedIndex();
    local.add('x/y/z');
    local.add('x/y');
    expect(local.size).toBe(2);
    local.remove('x/y/z');
    expect(local.match('x/#')).toEqual(['x/y']);
    local.remove('x/y');
    local.remove('never/there');
    expect(local.size).toBe(0);
    expect(local.match('#')).toEqual([]);
  });
});
