// The hot-path codec: PUBLISH and the small acknowledgements, decoded and encoded straight
// from and into Buffers. Anything unusual (MQTT 5 properties on an inbound packet, reason
// codes on acks, every malformed packet) is left to mqtt-packet (packet-codec.ts), so its errors
// and its reading of edge cases stay exactly what they were. The one exception is the
// topic of an inbound PUBLISH, checked on its raw bytes for both (checkPublishTopic), by the
// rule utf8-check.ts applies to the strings of CONNECT, SUBSCRIBE and UNSUBSCRIBE.
import type {
  IPingreqPacket,
  IPubackPacket,
  IPubcompPacket,
  IPublishPacket,
  IPubrecPacket,
  IPubrelPacket,
  UserProperties,
} from 'mqtt-packet';
import type { ProtocolVersion } from './packet-codec.js';
import type { PublishProperties } from './properties.js';
import { bytesValue, subscriptionIdsValue, textValue, uintValue, userPairsValue } from './property-values.js';
import { checkUtf8 } from './utf8-check.js';

/** Node's unchecked Buffer string methods (what toString/write call after checking their arguments). */
interface RawBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  utf8Write(s: string, offset: number): number;
  latin1Write(s: string, offset: number): number;
}

const PUBLISH = 3;
const PUBACK = 4;
const PUBREC = 5;
const PUBREL = 6;
const PUBCOMP = 7;
const PINGREQ = 12;

export type FastPacket =
  | IPublishPacket
  | IPubackPacket
  | IPubrecPacket
  | IPubrelPacket
  | IPubcompPacket
  | IPingreqPacket;

const ACK_CMDS = ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const;
const PINGREQ_PACKET: IPingreqPacket = Object.freeze({ cmd: 'pingreq' }) as IPingreqPacket;

/**
 * The topic a connection last published to: a publisher usually repeats its topic, so the
 * next PUBLISH with the same topic bytes reuses the string (and the handler its check).
 */
const CACHED_TOPIC_BYTES = 128;

export class TopicCache {
  private readonly bytes = Buffer.allocUnsafe(CACHED_TOPIC_BYTES);
  private length = -1;
  topic = '';
  /** The handler has found `topic` a valid topic name. */
  valid = false;

  /** The topic at bytes[start, end), from the cache when it is the same again. */
  read(bytes: Buffer, start: number, end: number): string {
    const length = end - start;
    if (length === this.length) {
      const cached = this.bytes;
      let i = 0;
      while (i < length && cached[i] === bytes[start + i]) i++;
      if (i === length) return this.topic;
    }
    const topic = (bytes as RawBuffer).utf8Slice(start, end);
    if (length <= CACHED_TOPIC_BYTES) {
      bytes.copy(this.bytes, 0, start, end);
      this.length = length;
      this.topic = topic;
      this.valid = false;
    }
    return topic;
  }
}

/**
 * Checks the topic of a whole inbound PUBLISH on its bytes, before either decoder turns
 * them into a string (which would read ill-formed UTF-8 as U+FFFD): ill-formed UTF-8
 * [MQTT-1.5.4-1] (3.1.1: [MQTT-1.5.3-1]) and U+0000 [MQTT-1.5.4-2] ([MQTT-1.5.3-2]) make the
 * packet malformed. A packet too short for its topic is left to the decoders to refuse.
 */
export function checkPublishTopic(bytes: Buffer): void {
  // The Framer has checked the remaining length: at most 4 bytes, and it matches.
  let start = 1;
  while (bytes[start] & 0x80) start++;
  start += 3; // the last length byte, then the topic length
  if (start > bytes.length) return;
  const end = start + ((bytes[start - 2] << 8) | bytes[start - 1]);
  if (end > bytes.length) return;
  checkUtf8(bytes, start, end, 'topic name');
}

/**
 * Decodes one whole packet (as the Framer cuts it) when it is a plain PUBLISH, PUBACK,
 * PUBREC, PUBREL, PUBCOMP or PINGREQ; undefined for anything else, including every
 * malformed one, which the caller hands to mqtt-packet. The result never refers to `bytes`:
 * the payload is copied, so `bytes` may be reused once this returns.
 */
export function decodeFast(
  bytes: Buffer,
  version: ProtocolVersion,
  topics?: TopicCache,
): FastPacket | undefined {
  const first = bytes[0];
  const type = first >> 4;
  // The Framer has checked the remaining length: at most 4 bytes, and it matches.
  let offset = 1;
  while (bytes[offset] & 0x80) offset++;
  offset++;
  const end = bytes.length;
  const length = end - offset;
  switch (type) {
    case PUBLISH: {
      const qos = (first >> 1) & 3;
      if (qos === 3 || length < 2) return undefined;
      const topicEnd = offset + 2 + ((bytes[offset] << 8) | bytes[offset + 1]);
      if (topicEnd > end) return undefined;
      const topic = topics
        ? topics.read(bytes, offset + 2, topicEnd)
        : (bytes as RawBuffer).utf8Slice(offset + 2, topicEnd);
      let p = topicEnd;
      let messageId: number | undefined;
      if (qos > 0) {
        if (p + 2 > end) return undefined;
        messageId = (bytes[p] << 8) | bytes[p + 1];
        p += 2;
      }
      if (version === 5) {
        // Only an empty property section here; properties are mqtt-packet's to read, so
        // the rules on them (a property repeated: single-use-properties.ts) apply there.
        if (p >= end || bytes[p] !== 0) return undefined;
        p++;
      }
      const packet: IPublishPacket = {
        cmd: 'publish',
        topic,
        payload: copyOf(bytes, p, end),
        qos: qos as 0 | 1 | 2,
        retain: (first & 0x01) !== 0,
        dup: (first & 0x08) !== 0,
        length,
      };
      if (messageId !== undefined) packet.messageId = messageId;
      return packet;
    }
    case PUBACK:
    case PUBREC:
    case PUBREL:
    case PUBCOMP: {
      // Reserved flags (0, or 2 for PUBREL) and a packet id; at 5.0 also reason code 0
      // with no properties, written out (mqtt-packet and others do). The rest goes the slow way.
      if ((first & 0x0f) !== (type === PUBREL ? 2 : 0)) return undefined;
      if (length !== 2 && !(version === 5 && isPlainSuccess(bytes, offset + 2, length - 2))) return undefined;
      const packet = {
        cmd: ACK_CMDS[type - PUBACK],
        messageId: (bytes[offset] << 8) | bytes[offset + 1],
        length,
      } as IPubackPacket | IPubrecPacket | IPubrelPacket | IPubcompPacket;
      if (version === 5) packet.reasonCode = 0;
      return packet;
    }
    case PINGREQ:
      return first === 0xc0 && length === 0 ? PINGREQ_PACKET : undefined;
    default:
      return undefined;
  }
}

/** 5.0 ack tail: reason code 0, optionally followed by an empty property section. */
function isPlainSuccess(bytes: Buffer, offset: number, tail: number): boolean {
  return (
    (tail === 1 && bytes[offset] === 0) || (tail === 2 && bytes[offset] === 0 && bytes[offset + 1] === 0)
  );
}

function copyOf(bytes: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  bytes.copy(out, 0, start, end);
  return out;
}

// --- encoding ---

/** Bytes a variable byte integer takes (§1.5.5). */
function varIntBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

function writeVarInt(buf: Buffer, offset: number, n: number): number {
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    buf[offset++] = byte;
  } while (n > 0);
  return offset;
}

/** The largest remaining length a fixed header can carry. */
const MAX_REMAINING_LENGTH = 268_435_455;

export interface PublishFields {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  dup: boolean;
  /** Required for QoS 1 and 2. */
  messageId?: number;
  /** MQTT 5 only: the encoded property section (without its length), see encodeProperties. */
  properties?: Buffer;
}

/** A PUBLISH packet. `version` 5 writes the property length (0 without properties). */
export function encodePublish(fields: PublishFields, version: ProtocolVersion): Buffer {
  // Topics are nearly always short and ASCII: written by hand, without a call into C++.
  const topic = fields.topic;
  if (topic.length <= SHORT_TOPIC) {
    const bytes = encodePublishAs(fields, version, topic.length);
    if (bytes) return bytes;
  }
  return encodePublishAs(fields, version, Buffer.byteLength(topic))!;
}

const SHORT_TOPIC = 128;

/**
 * The PUBLISH with a topic of `topicBytes` UTF-8 bytes; undefined when `topicBytes` was
 * a guess (the topic's length) and the topic turned out not to be ASCII.
 */
function encodePublishAs(
  fields: PublishFields,
  version: ProtocolVersion,
  topicBytes: number,
): Buffer | undefined {
  const { topic, payload, qos } = fields;
  if (topicBytes > 0xffff) throw new Error(`topic of ${topicBytes} bytes is too long`);
  let remaining = 2 + topicBytes + payload.length;
  if (qos > 0) remaining += 2;
  const properties = fields.properties;
  const propertyBytes = properties ? properties.length : 0;
  if (version === 5) remaining += varIntBytes(propertyBytes) + propertyBytes;
  if (remaining > MAX_REMAINING_LENGTH) throw new Error(`PUBLISH of ${remaining} bytes is too large`);
  const buf = Buffer.allocUnsafe(1 + varIntBytes(remaining) + remaining) as RawBuffer;
  buf[0] = 0x30 | (fields.dup ? 0x08 : 0) | (qos << 1) | (fields.retain ? 0x01 : 0);
  let o = writeVarInt(buf, 1, remaining);
  buf[o++] = topicBytes >> 8;
  buf[o++] = topicBytes & 0xff;
  if (topicBytes !== topic.length) o += buf.utf8Write(topic, o);
  else if (topicBytes > SHORT_TOPIC) o += buf.latin1Write(topic, o);
  else {
    for (let i = 0; i < topicBytes; i++) {
      const c = topic.charCodeAt(i);
      if (c >= 0x80) return undefined;
      buf[o++] = c;
    }
  }
  if (qos > 0) {
    const id = fields.messageId ?? 0;
    buf[o++] = id >> 8;
    buf[o++] = id & 0xff;
  }
  if (version === 5) {
    o = writeVarInt(buf, o, propertyBytes);
    if (properties) o += properties.copy(buf, o);
  }
  payload.copy(buf, o);
  return buf;
}

const ACK_TYPES = { puback: PUBACK, pubrec: PUBREC, pubrel: PUBREL, pubcomp: PUBCOMP } as const;

/** PUBACK, PUBREC, PUBREL or PUBCOMP with only a packet id (success at 5.0). */
export function encodeAck(cmd: keyof typeof ACK_TYPES, messageId: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  const type = ACK_TYPES[cmd];
  buf[0] = (type << 4) | (type === PUBREL ? 2 : 0);
  buf[1] = 2;
  buf[2] = messageId >> 8;
  buf[3] = messageId & 0xff;
  return buf;
}

export const PINGRESP_BYTES: Buffer = Buffer.from([0xd0, 0x00]);

// MQTT 5 PUBLISH property identifiers (§3.3.2.3).
const PAYLOAD_FORMAT_INDICATOR = 0x01;
const MESSAGE_EXPIRY_INTERVAL = 0x02;
const CONTENT_TYPE = 0x03;
const RESPONSE_TOPIC = 0x08;
const CORRELATION_DATA = 0x09;
const SUBSCRIPTION_IDENTIFIER = 0x0b;
const TOPIC_ALIAS = 0x23;
const USER_PROPERTY = 0x26;

export interface EncodablePublishProperties extends Omit<PublishProperties, 'userProperties'> {
  /** Pairs in the order they go on the wire [MQTT-3.3.2-18], or mqtt-packet's object form. */
  userProperties?: Array<[string, string]> | UserProperties;
}

/**
 * The property section of a PUBLISH (without its length); undefined when there is none.
 * Values of the wrong shape are left out rather than thrown on (property-values.ts): they
 * may come from what another node stored, and must not make the message unsendable.
 */
export function encodePublishProperties(props: EncodablePublishProperties): Buffer | undefined {
  const formatIndicator = props.payloadFormatIndicator;
  const expiry = uintValue(props.messageExpiryInterval, 0xffffffff);
  const topicAlias = uintValue(props.topicAlias, 0xffff);
  const contentType = textValue(props.contentType);
  const responseTopic = textValue(props.responseTopic);
  const correlationData = bytesValue(props.correlationData);
  const ids = subscriptionIdsValue(props.subscriptionIdentifier);
  const pairs = userPairsValue(props.userProperties);
  let size = 0;
  if (formatIndicator !== undefined) size += 2;
  if (expiry !== undefined) size += 5;
  if (topicAlias !== undefined) size += 3;
  if (contentType !== undefined) size += 3 + Buffer.byteLength(contentType);
  if (responseTopic !== undefined) size += 3 + Buffer.byteLength(responseTopic);
  if (correlationData !== undefined) size += 3 + correlationData.length;
  if (ids) for (const id of ids) size += 1 + varIntBytes(id);
  if (pairs) for (const [k, v] of pairs) size += 5 + Buffer.byteLength(k) + Buffer.byteLength(v);
  if (size === 0) return undefined;
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  if (formatIndicator !== undefined) {
    buf[o++] = PAYLOAD_FORMAT_INDICATOR;
    buf[o++] = formatIndicator ? 1 : 0;
  }
  if (expiry !== undefined) {
    buf[o++] = MESSAGE_EXPIRY_INTERVAL;
    o = buf.writeUInt32BE(expiry, o);
  }
  if (contentType !== undefined) o = writeString(buf, o, CONTENT_TYPE, contentType);
  if (responseTopic !== undefined) o = writeString(buf, o, RESPONSE_TOPIC, responseTopic);
  if (correlationData !== undefined) {
    buf[o++] = CORRELATION_DATA;
    o = buf.writeUInt16BE(correlationData.length, o);
    o += correlationData.copy(buf, o);
  }
  if (ids) {
    for (const id of ids) {
      buf[o++] = SUBSCRIPTION_IDENTIFIER;
      o = writeVarInt(buf, o, id);
    }
  }
  if (topicAlias !== undefined) {
    buf[o++] = TOPIC_ALIAS;
    o = buf.writeUInt16BE(topicAlias, o);
  }
  if (pairs) {
    for (const [k, v] of pairs) {
      buf[o++] = USER_PROPERTY;
      o = writeUtf8(buf, o, k);
      o = writeUtf8(buf, o, v);
    }
  }
  return buf;
}

function writeString(buf: Buffer, o: number, id: number, s: string): number {
  buf[o++] = id;
  return writeUtf8(buf, o, s);
}

function writeUtf8(buf: Buffer, o: number, s: string): number {
  const n = (buf as RawBuffer).utf8Write(s, o + 2);
  buf.writeUInt16BE(n, o);
  return o + 2 + n;
}
