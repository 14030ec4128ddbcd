// The node's own bounds on topics, below MQTT's 65,535 bytes: `mqtt.maxTopicLevels` and
// `mqtt.maxTopicLength`. One client's topic is stored and walked by every part of the node
// (the subscription trie, the retained index, the match cache, the log), so its size is
// bounded where it enters: a PUBLISH topic, a SUBSCRIBE filter, the will topic at CONNECT.
// These answer only "within the limits?"; the MQTT rules of a topic are in @edgemq/core.
import { parseSharedFilter } from '@edgemq/core';

export interface TopicLimits {
  readonly maxTopicLevels: number;
  /** In UTF-8 bytes. */
  readonly maxTopicLength: number;
}

/** Why the topic name is past the limits, or undefined when it is within them. */
export function topicNameBreach(topic: string, limits: TopicLimits): string | undefined {
  return lengthBreach(topic, limits.maxTopicLength) ?? levelBreach(topic, limits.maxTopicLevels);
}

/**
 * Why the filter is past the limits, or undefined when it is within them. A shared filter
 * `$share/{group}/{filter}` counts the levels of its inner filter (what the trie holds) and
 * the bytes of the whole (what is stored).
 */
export function topicFilterBreach(filter: string, limits: TopicLimits): string | undefined {
  const inner = parseSharedFilter(filter)?.filter ?? filter;
  return lengthBreach(filter, limits.maxTopicLength) ?? levelBreach(inner, limits.maxTopicLevels);
}

function lengthBreach(topic: string, maxBytes: number): string | undefined {
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: most topics are decided without counting bytes.
  if (topic.length * 3 <= maxBytes) return undefined;
  const bytes = topic.length > maxBytes ? topic.length : Buffer.byteLength(topic, 'utf8');
  if (bytes <= maxBytes) return undefined;
  return `topic longer than mqtt.maxTopicLength (${maxBytes} bytes)`;
}

function levelBreach(topic: string, maxLevels: number): string | undefined {
  // Stops counting at the first level past the limit: a deep topic costs no more than that.
  let levels = 1;
  for (let slash = topic.indexOf('/'); slash >= 0; slash = topic.indexOf('/', slash + 1)) {
    if (++levels > maxLevels) return `topic deeper than mqtt.maxTopicLevels (${maxLevels} levels)`;
  }
  return undefined;
}
