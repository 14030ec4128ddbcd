// Topic name and filter rules (MQTT 3.1.1 / 5.0 section 4.7, shared subscriptions 4.8.2).
import { describe, expect, it } from 'vitest';
import { parseSharedFilter, topicMatches, validateTopicFilter, validateTopicName } from '../src/topic.js';

const long = (bytes: number) => 'a'.repeat(bytes);

describe('validateTopicName', () => {
  it.each([
    ['a', 'one level'],
    ['a/b/c', 'several levels'],
    ['/', 'two empty levels'],
    ['/a', 'leading empty level'],
    ['a//b', 'empty middle level'],
    ['a/', 'trailing empty level'],
    ['$SYS/broker', '$ topic'],
    ['sport/tennis player1', 'space is allowed'],
    ['caf\u00e9/\u{1f600}', 'non-ASCII and a surrogate pair'],
    [long(65_535), 'exactly 65535 bytes [MQTT-4.7.3-3]'],
    ['\u00e9'.repeat(32_767), '65534 bytes of two-byte characters'],
  ])('accepts %j (%s)', (topic) => {
    expect(validateTopicName(topic)).toBe(true);
  });

  it.each([
    ['', 'empty [MQTT-4.7.3-1]'],
    ['a/+', 'single-level wildcard [MQTT-3.3.2-2]'],
    ['a/#', 'multi-level wildcard [MQTT-3.3.2-2]'],
    ['+', 'bare +'],
    ['#', 'bare #'],
    ['a+b', 'wildcard inside a level'],
    ['a\u0000b', 'U+0000 [MQTT-4.7.3-2]'],
    [long(65_536), '65536 bytes [MQTT-4.7.3-3]'],
    ['\u00e9'.repeat(32_768), '65536 bytes of two-byte characters [MQTT-4.7.3-3]'],
    ['a\ud800', 'unpaired high surrogate [MQTT-1.5.3-1]'],
    ['\udc00a', 'unpaired low surrogate [MQTT-1.5.3-1]'],
  ])('rejects %j (%s)', (topic) => {
    expect(validateTopicName(topic)).toBe(false);
  });
});

describe('validateTopicFilter', () => {
  it.each([
    ['a/b/c', 'no wildcards'],
    ['#', 'bare # [MQTT-4.7.1-2]'],
    ['a/#', '# as last level [MQTT-4.7.1-2]'],
    ['+', 'bare + [MQTT-4.7.1-3]'],
    ['+/+', 'two + levels'],
    ['/+', '+ after an empty level'],
    ['a/+/c', '+ in the middle'],
    ['+/tennis/#', '+ and #'],
    ['a//b', 'empty level'],
    ['/', 'only separators'],
    ['$SYS/#', '$ filter'],
    ['$share', 'the bare word $share is an ordinary filter'],
    ['$sharex/g/a', 'not the $share/ prefix'],
    [long(65_535), 'exactly 65535 bytes [MQTT-4.7.3-3]'],
  ])('accepts %j (%s)', (filter) => {
    expect(validateTopicFilter(filter)).toBe(true);
  });

  it.each([
    ['', 'empty [MQTT-4.7.3-1]'],
    ['a/#/c', '# not last [MQTT-4.7.1-2]'],
    ['a#', '# inside a level [MQTT-4.7.1-2]'],
    ['a/b#', '# after characters [MQTT-4.7.1-2]'],
    ['#/', '# followed by a separator [MQTT-4.7.1-2]'],
    ['##', 'two #'],
    ['a+', '+ after characters [MQTT-4.7.1-3]'],
    ['+a', '+ before characters [MQTT-4.7.1-3]'],
    ['a/+b/c', '+ inside a level [MQTT-4.7.1-3]'],
    ['++', 'two +'],
    ['+#', '+ and # in one level'],
    ['a/\u0000', 'U+0000 [MQTT-4.7.3-2]'],
    ['a/\ud800', 'unpaired surrogate [MQTT-1.5.3-1]'],
    [long(65_536), '65536 bytes [MQTT-4.7.3-3]'],
  ])('rejects %j (%s)', (filter) => {
    expect(validateTopicFilter(filter)).toBe(false);
  });
});

describe('shared subscriptions [MQTT-4.8.2-1] [MQTT-4.8.2-2]', () => {
  it.each([
    ['$share/consumer1/sport/tennis/+', 'consumer1', 'sport/tennis/+'],
    ['$share/consumer1//finance', 'consumer1', '/finance'],
    ['$share/g/#', 'g', '#'],
    ['$share/g/$SYS/x', 'g', '$SYS/x'],
    ['$share/g/+', 'g', '+'],
  ])('%j is valid: group %j, filter %j', (shared, group, filter) => {
    expect(validateTopicFilter(shared)).toBe(true);
    expect(parseSharedFilter(shared)).toEqual({ group, filter });
  });

  it.each([
    ['$share/', 'no group [MQTT-4.8.2-1]'],
    ['$share//a', 'empty group [MQTT-4.8.2-1]'],
    ['$share/g', 'no / after the group [MQTT-4.8.2-2]'],
    ['$share/g/', 'empty filter [MQTT-4.8.2-2]'],
    ['$share/g+/a', '+ in the group [MQTT-4.8.2-2]'],
    ['$share/#/a', '# in the group [MQTT-4.8.2-2]'],
    ['$share/g/a/#/b', 'invalid inner filter'],
    ['$share/g/a\u0000', 'U+0000 in the inner filter'],
  ])('rejects %j (%s)', (shared) => {
    expect(validateTopicFilter(shared)).toBe(false);
  });

  it('parseSharedFilter returns undefined for non-shared or malformed filters', () => {
    for (const f of ['a/b', '$share', '$sharex/g/a', '$share/', '$share//a', '$share/g', '$share/g/']) {
      expect(parseSharedFilter(f), f).toBeUndefined();
    }
  });

  it('parseSharedFilter only splits; validation rejects a bad group', () => {
    expect(parseSharedFilter('$share/g+/a')).toEqual({ group: 'g+', filter: 'a' });
  });
});

describe('topicMatches', () => {
  it.each([
    ['a/b/c', 'a/b/c'],
    ['a/+/c', 'a/b/c'],
    ['a/+/c', 'a//c'],
    ['+/+', '/finance'],
    ['/+', '/finance'],
    ['+', 'a'],
    ['a/+', 'a/'],
    ['#', 'a/b/c'],
    ['#', '/'],
    ['a/#', 'a/b/c'],
    ['a/#', 'a'],
    ['a/#', 'a/'],
    ['sport/tennis/player1/#', 'sport/tennis/player1'],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking'],
    ['sport/+/player1', 'sport/tennis/player1'],
    ['+/tennis/#', 'sport/tennis'],
    ['$SYS/#', '$SYS/broker/load'],
    ['$SYS/#', '$SYS'],
    ['$SYS/+', '$SYS/x'],
    ['+/+/+', 'a/b/c'],
  ])('%j matches %j', (filter, topic) => {
    expect(topicMatches(filter, topic)).toBe(true);
  });

  it.each([
    ['a/b/c', 'a/b'],
    ['a/b', 'a/b/c'],
    ['a/b/c', 'a/b/d'],
    ['abc', 'ab'],
    ['ab', 'abc'],
    ['a/+', 'a'],
    ['a/+', 'a/b/c'],
    ['+', '/finance'],
    ['+', 'a/b'],
    ['a/#', 'ab'],
    ['a/b/#', 'a'],
    ['sport/tennis/+', 'sport/tennis'],
    ['#', '$SYS/x'], // [MQTT-4.7.2-1]
    ['+/x', '$SYS/x'], // [MQTT-4.7.2-1]
    ['+', '$SYS'], // [MQTT-4.7.2-1]
    ['+/#', '$SYS/x'], // [MQTT-4.7.2-1]
    ['$SYS/a', '$SYS/b'],
  ])('%j does not match %j', (filter, topic) => {
    expect(topicMatches(filter, topic)).toBe(false);
  });
});
