// What the Redis backbone stores, as bytes (msgpackr, no records: every value decodes on
// its own, whichever node wrote it). A message is a positional tuple
//   [topic, payload, qos, retain, originNode, originClient, createdAtMs, properties?]
// a session body is [FORMAT, [[filter, qos, options?], ...], protocolState?, will?, sessionExpiryMs?].
// A log entry's `d` field holds many messages in the flat binary format of batch-codec.ts
// (the hot path); entries of the earlier msgpack format [FORMAT, [message, ...]] still decode.
// Buffers come back as Buffers (copied out of the reply, so keeping one keeps no more than
// itself); Map, Set, Date and typed arrays inside opaque data come back as themselves.

import type { Message, MessageProperties, QoS } from '@edgemq/model';
import { addExtension, Packr } from 'msgpackr';
import type { SubscriptionRecord } from '../backbone.js';
import { BATCH_MAGIC, decodeBinaryBatch, encodeBinaryBatch, type PropertiesCodec } from './batch-codec.js';

const FORMAT = 1;

/**
 * Plain msgpack maps decode as objects (mapsAsObjects), so a Map inside opaque data is
 * wrapped in this class before packing and travels as its own extension type.
 */
class MapEntries {
  constructor(readonly entries: Array<[unknown, unknown]>) {}
}
addExtension({
  Class: MapEntries,
  type: 0x4d,
  write: (value: MapEntries) => value.entries,
  read: (entries: Array<[unknown, unknown]>) => new Map(entries),
});

const packr = new Packr({ useRecords: false, moreTypes: true, copyBuffers: true, mapsAsObjects: true });

type MessageTuple = [
  string,
  Buffer,
  QoS,
  boolean,
  string,
  string,
  number,
  (MessageProperties | null)?,
  number?,
];

function toTuple(message: Message): MessageTuple {
  const tuple: MessageTuple = [
    message.topic,
    message.payload,
    message.qos,
    message.retain,
    message.origin.nodeId,
    message.origin.clientId,
    message.createdAtMs,
  ];
  if (message.properties !== undefined) tuple.push(definedProperties(message.properties));
  if (message.origin.seq !== undefined) {
    if (tuple.length === 7) tuple.push(null);
    tuple.push(message.origin.seq);
  }
  return tuple;
}

function definedProperties(properties: MessageProperties): MessageProperties {
  const out: MessageProperties = {};
  for (const [key, value] of Object.entries(properties)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

function fromTuple(value: unknown): Message {
  if (!Array.isArray(value) || value.length < 7) throw new Error('malformed message');
  const [topic, payload, qos, retain, nodeId, clientId, createdAtMs, properties, seq] = value as MessageTuple;
  const message: Message = {
    topic,
    payload: toBuffer(payload),
    qos,
    retain,
    origin: { nodeId, clientId },
    createdAtMs,
  };
  if (properties !== undefined && properties !== null) message.properties = fromProperties(properties);
  if (typeof seq === 'number') message.origin.seq = seq;
  return message;
}

function fromProperties(properties: MessageProperties): MessageProperties {
  const out: MessageProperties = { ...properties };
  if (properties.correlationData !== undefined) out.correlationData = toBuffer(properties.correlationData);
  return out;
}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new Error('malformed message: expected bytes');
}

export function encodeMessage(message: Message): Buffer {
  return packr.pack(toTuple(message));
}

export function decodeMessage(bytes: Buffer): Message {
  return fromTuple(packr.unpack(bytes));
}

const propertiesCodec: PropertiesCodec = {
  encode: (properties) => packr.pack(definedProperties(properties)),
  decode: (bytes) => fromProperties(packr.unpack(bytes) as MessageProperties),
};

/** One log entry's `d` field: many messages. */
export function encodeBatch(messages: readonly Message[]): Buffer {
  return encodeBinaryBatch(messages, propertiesCodec);
}

export function decodeBatch(bytes: Buffer): Message[] {
  if (bytes[0] === BATCH_MAGIC) return decodeBinaryBatch(bytes, propertiesCodec);
  const value = packr.unpack(bytes) as unknown;
  if (!Array.isArray(value) || value[0] !== FORMAT || !Array.isArray(value[1])) {
    throw new Error('log entry in an unknown format');
  }
  return (value[1] as unknown[]).map(fromTuple);
}

export interface SessionBody {
  subscriptions: SubscriptionRecord[];
  protocolState?: unknown;
  will?: Message;
  sessionExpiryMs?: number | null;
}

type SubscriptionTuple = [string, QoS, unknown?];

export function encodeSessionBody(body: SessionBody): Buffer {
  const subscriptions = body.subscriptions.map((subscription): SubscriptionTuple => {
    const tuple: SubscriptionTuple = [subscription.filter, subscription.qos];
    if (subscription.options !== undefined) tuple.push(wrapMaps(subscription.options));
    return tuple;
  });
  // [format, subscriptions, protocolState, will, sessionExpiryMs]; undefined = absent.
  const value: unknown[] = [
    FORMAT,
    subscriptions,
    body.protocolState === undefined ? undefined : wrapMaps(body.protocolState),
    body.will === undefined ? undefined : toTuple(body.will),
    body.sessionExpiryMs,
  ];
  return packr.pack(value);
}

/** An empty (or absent) body is a record with no subscriptions: what a first claim creates. */
export function decodeSessionBody(bytes: Buffer | undefined): SessionBody {
  if (bytes === undefined || bytes.length === 0) return { subscriptions: [] };
  const value = packr.unpack(bytes) as unknown;
  if (!Array.isArray(value) || value[0] !== FORMAT || !Array.isArray(value[1])) {
    throw new Error('session record in an unknown format');
  }
  const subscriptions = (value[1] as SubscriptionTuple[]).map(([filter, qos, options]) => {
    const subscription: SubscriptionRecord = { filter, qos };
    if (options !== undefined) subscription.options = options as Record<string, unknown>;
    return subscription;
  });
  const body: SessionBody = { subscriptions };
  if (value.length > 2 && value[2] !== undefined && value[2] !== null) body.protocolState = value[2];
  if (value.length > 3 && value[3] !== undefined && value[3] !== null) body.will = fromTuple(value[3]);
  if (value.length > 4 && value[4] !== undefined) body.sessionExpiryMs = value[4] as number | null;
  return body;
}

/** Copies opaque data, wrapping each Map so that it decodes as a Map again. */
function wrapMaps(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Map) {
    return new MapEntries(
      [...value].map(([key, item]): [unknown, unknown] => [wrapMaps(key), wrapMaps(item)]),
    );
  }
  if (Array.isArray(value)) return value.map(wrapMaps);
  if (value instanceof Set) return new Set([...value].map(wrapMaps));
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value; // Buffer, Date, ...
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = wrapMaps(item);
  return copy;
}
