// The log entry format: many messages in one flat binary record, written in one pass into
// one buffer and read without a generic decoder, because every message crosses it twice
// (once encoded by its node, once decoded by every other node). Little-endian throughout:
//
//   0xC1 0x02                      magic (0xC1 is never a msgpack lead byte) and version
//   u32 count
//   per message:
//     u8  flags                    bits 0-1 qos, 2 retain, 3 properties, 4 seq, 5 same node as previous
//     f64 createdAtMs
//     f64 seq                      when flag 4
//     u16 + utf8 topic
//     u16 + utf8 origin client id
//     u16 + utf8 origin node id    unless flag 5
//     u32 + bytes payload
//     u32 + msgpack properties     when flag 3 (rare: MQTT 5 properties)
//
// Payloads are copied out of the reply (a message kept in a queue keeps only itself).

import type { Message, MessageProperties, QoS } from '@edgemq/model';

export const BATCH_MAGIC = 0xc1;
const VERSION = 2;

const RETAIN = 1 << 2;
const PROPERTIES = 1 << 3;
const SEQ = 1 << 4;
const SAME_NODE = 1 << 5;

export interface PropertiesCodec {
  encode(properties: MessageProperties): Buffer;
  decode(bytes: Buffer): MessageProperties;
}

export function encodeBinaryBatch(messages: readonly Message[], properties: PropertiesCodec): Buffer {
  const encodedProperties: Array<Buffer | undefined> = new Array(messages.length);
  // Upper bound: UTF-8 takes at most 3 bytes per UTF-16 unit.
  let bound = 6;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    bound += 31 + 3 * (m.topic.length + m.origin.clientId.length + m.origin.nodeId.length) + m.payload.length;
    if (m.properties !== undefined) {
      const bytes = properties.encode(m.properties);
      encodedProperties[i] = bytes;
      bound += 4 + bytes.length;
    }
  }
  const out = Buffer.allocUnsafe(bound);
  out[0] = BATCH_MAGIC;
  out[1] = VERSION;
  out.writeUInt32LE(messages.length, 2);
  let at = 6;
  let previousNode: string | undefined;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const { nodeId, clientId, seq } = m.origin;
    const props = encodedProperties[i];
    const sameNode = nodeId === previousNode;
    out[at++] =
      m.qos |
      (m.retain ? RETAIN : 0) |
      (props ? PROPERTIES : 0) |
      (seq !== undefined ? SEQ : 0) |
      (sameNode ? SAME_NODE : 0);
    at = out.writeDoubleLE(m.createdAtMs, at);
    if (seq !== undefined) at = out.writeDoubleLE(seq, at);
    at = writeString(out, at, m.topic);
    at = writeString(out, at, clientId);
    if (!sameNode) at = writeString(out, at, nodeId);
    previousNode = nodeId;
    at = out.writeUInt32LE(m.payload.length, at);
    at += m.payload.copy(out, at);
    if (props) {
      at = out.writeUInt32LE(props.length, at);
      at += props.copy(out, at);
    }
  }
  return out.subarray(0, at);
}

export function decodeBinaryBatch(bytes: Buffer, properties: PropertiesCodec): Message[] {
  if (bytes.length < 6 || bytes[0] !== BATCH_MAGIC || bytes[1] !== VERSION) {
    throw new Error('log entry in an unknown format');
  }
  const count = bytes.readUInt32LE(2);
  const messages: Message[] = new Array(count);
  const reader = { at: 6 };
  let nodeId = '';
  for (let i = 0; i < count; i++) {
    need(bytes, reader.at, 9);
    const flags = bytes[reader.at++];
    const createdAtMs = bytes.readDoubleLE(reader.at);
    reader.at += 8;
    let seq: number | undefined;
    if (flags & SEQ) {
      need(bytes, reader.at, 8);
      seq = bytes.readDoubleLE(reader.at);
      reader.at += 8;
    }
    const topic = readString(bytes, reader);
    const clientId = readString(bytes, reader);
    if (!(flags & SAME_NODE)) nodeId = readString(bytes, reader);
    const payload = copyBytes(bytes, reader);
    const message: Message = {
      topic,
      payload,
      qos: (flags & 3) as QoS,
      retain: (flags & RETAIN) !== 0,
      origin: seq === undefined ? { nodeId, clientId } : { nodeId, clientId, seq },
      createdAtMs,
    };
    if (flags & PROPERTIES) message.properties = properties.decode(readBytes(bytes, reader));
    messages[i] = message;
  }
  return messages;
}

/** Short ASCII strings (topics, ids) are copied by hand: Buffer.write costs more per call. */
const SHORT = 64;

function writeString(out: Buffer, at: number, text: string): number {
  const n = text.length;
  if (n < SHORT) {
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      out[at + 2 + i] = c;
    }
    if (i === n) {
      out[at] = n;
      out[at + 1] = 0;
      return at + 2 + n;
    }
  }
  const length = out.write(text, at + 2, 'utf8');
  if (length > 0xffff) throw new Error('string longer than 65535 bytes in a log entry');
  out.writeUInt16LE(length, at);
  return at + 2 + length;
}

function readString(bytes: Buffer, reader: { at: number }): string {
  need(bytes, reader.at, 2);
  const length = bytes[reader.at] | (bytes[reader.at + 1] << 8);
  const start = reader.at + 2;
  need(bytes, start, length);
  reader.at = start + length;
  if (length < SHORT) {
    const codes: number[] = [];
    for (let i = start; i < start + length; i++) {
      const c = bytes[i];
      if (c >= 0x80) return bytes.toString('utf8', start, start + length);
      codes.push(c);
    }
    return String.fromCharCode.apply(null, codes);
  }
  return bytes.toString('utf8', start, start + length);
}

/** Steps past a u32-prefixed byte string; returns where its bytes start (they end at reader.at). */
function skipBytes(bytes: Buffer, reader: { at: number }): number {
  need(bytes, reader.at, 4);
  const length = bytes.readUInt32LE(reader.at);
  const start = reader.at + 4;
  need(bytes, start, length);
  reader.at = start + length;
  return start;
}

/** A u32-prefixed byte string, as a view into the entry. */
function readBytes(bytes: Buffer, reader: { at: number }): Buffer {
  const start = skipBytes(bytes, reader);
  return bytes.subarray(start, reader.at);
}

const copySlice = Uint8Array.prototype.slice;

/** A u32-prefixed byte string in a buffer of its own. */
function copyBytes(bytes: Buffer, reader: { at: number }): Buffer {
  const start = skipBytes(bytes, reader);
  // Node's documented copying slice: a Buffer of its own, copied natively.
  return copySlice.call(bytes, start, reader.at) as Buffer;
}

function need(bytes: Buffer, at: number, length: number): void {
  if (at + length > bytes.length) throw new Error('log entry truncated');
}
