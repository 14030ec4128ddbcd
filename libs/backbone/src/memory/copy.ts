// Defensive copies. The memory stores hand out and keep their own copies of everything, so
// that a caller mutating a message or record (or the Buffer under it) after handing it in or
// getting it back never changes the store: the same isolation a Redis round trip gives.

import type { Message, MessageProperties } from '@edgemq/model';
import type { SessionRecord, SubscriptionRecord } from '../backbone.js';

export function copyMessage(message: Message): Message {
  const copy: Message = {
    topic: message.topic,
    payload: Buffer.from(message.payload),
    qos: message.qos,
    retain: message.retain,
    origin: { ...message.origin },
    createdAtMs: message.createdAtMs,
  };
  if (message.properties !== undefined) copy.properties = copyProperties(message.properties);
  return copy;
}

function copyProperties(properties: MessageProperties): MessageProperties {
  const copy: MessageProperties = { ...properties };
  if (properties.correlationData !== undefined) {
    copy.correlationData = Buffer.from(properties.correlationData);
  }
  if (properties.userProperties !== undefined) {
    copy.userProperties = properties.userProperties.map(([key, value]): [string, string] => [key, value]);
  }
  return copy;
}

export function copySessionRecord(record: SessionRecord): SessionRecord {
  const copy: SessionRecord = {
    clientId: record.clientId,
    ownerNode: record.ownerNode,
    generation: record.generation,
    expiresAtMs: record.expiresAtMs,
    subscriptions: record.subscriptions.map(copySubscription),
  };
  if (record.protocolState !== undefined) copy.protocolState = copyPlainData(record.protocolState);
  if (record.will !== undefined) copy.will = copyMessage(record.will);
  if (record.sessionExpiryMs !== undefined) copy.sessionExpiryMs = record.sessionExpiryMs;
  return copy;
}

function copySubscription(subscription: SubscriptionRecord): SubscriptionRecord {
  const copy: SubscriptionRecord = { filter: subscription.filter, qos: subscription.qos };
  if (subscription.options !== undefined) {
    copy.options = copyPlainData(subscription.options) as Record<string, unknown>;
  }
  return copy;
}

/**
 * Deep copy of opaque protocol data. Supports what a Redis implementation can serialize:
 * plain objects, arrays, primitives, Buffers/typed arrays, plus Map, Set and Date.
 * Anything else (class instances, functions) is kept by reference.
 */
export function copyPlainData(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(copyPlainData);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return (value as unknown as { slice(): unknown }).slice();
  }
  if (value instanceof Map) {
    return new Map([...value].map(([key, item]) => [copyPlainData(key), copyPlainData(item)]));
  }
  if (value instanceof Set) return new Set([...value].map(copyPlainData));
  if (value instanceof Date) return new Date(value.getTime());
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = copyPlainData(item);
  return copy;
}
