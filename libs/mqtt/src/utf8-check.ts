// UTF-8 strings checked on their raw bytes, before mqtt-packet (or the fast codec) turns
// them into JavaScript strings, which reads ill-formed UTF-8 as U+FFFD and so hides it: a
// string that is not well-formed UTF-8 [MQTT-1.5.4-1] (3.1.1: [MQTT-1.5.3-1]) or holds
// U+0000 [MQTT-1.5.4-2] ([MQTT-1.5.3-2]) makes the packet malformed. The dispatcher runs
// these on every CONNECT (client identifier, will topic, user name), SUBSCRIBE and
// UNSUBSCRIBE (every topic filter); checkPublishTopic (fast-codec.ts) does the same for PUBLISH.
//
// The walkers follow the packet layout as mqtt-packet reads it. Where the packet ends before
// a string (or a string runs past it) mqtt-packet refuses the packet itself, with its own
// message, so the walk just stops. A 5.0 property section is walked property by property:
// mqtt-packet reads the payload from where the properties end, not from where their length
// says they end, so a section whose properties do not end exactly there is refused here.
import { isUtf8 } from 'node:buffer';
import { malformed } from './errors.js';
import type { ProtocolVersion } from './packet-codec.js';

/** Throws a Malformed Packet error when bytes[start, end) is not well-formed UTF-8 or holds U+0000. */
export function checkUtf8(bytes: Buffer, start: number, end: number, what: string): void {
  let ascii = true;
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    if (byte === 0) throw malformed(`${what} contains U+0000`);
    if (byte >= 0x80) ascii = false;
  }
  if (!ascii && !isUtf8(bytes.subarray(start, end))) throw malformed(`${what} is not valid UTF-8`);
}

const SUBSCRIBE = 8;
const WILL_FLAG = 0x04;
const USERNAME_FLAG = 0x80;
/** The walk stopped where mqtt-packet refuses the packet on its own. */
const LEFT = -1;

/**
 * Checks the client identifier, will topic and user name of a whole CONNECT at protocol
 * level `version` (as precheckConnect read it: 3 for 'MQIsdp', 4 or 5 for 'MQTT').
 */
export function checkConnectStrings(bytes: Buffer, version: ProtocolVersion): void {
  const end = bytes.length;
  let p = bodyStart(bytes);
  // Protocol name (precheckConnect has read it), level, connect flags, keep-alive.
  if (p + 2 > end) return;
  p += 2 + ((bytes[p] << 8) | bytes[p + 1]) + 1;
  if (p + 3 > end) return;
  const flags = bytes[p];
  p += 3;
  if (version === 5) p = skipProperties(bytes, p, end);
  p = checkString(bytes, p, end, 'client identifier');
  if (flags & WILL_FLAG) {
    if (version === 5) p = skipProperties(bytes, p, end);
    p = checkString(bytes, p, end, 'will topic');
    p = skipBinary(bytes, p, end); // the will payload
  }
  if (flags & USERNAME_FLAG) checkString(bytes, p, end, 'user name');
  // The password is binary data, not a string.
}

/** Checks every topic filter of a whole SUBSCRIBE or UNSUBSCRIBE. */
export function checkTopicFilters(bytes: Buffer, version: ProtocolVersion): void {
  const subscribe = bytes[0] >> 4 === SUBSCRIBE;
  const end = bytes.length;
  let p = bodyStart(bytes) + 2; // the packet identifier
  if (version === 5) p = skipProperties(bytes, p, end);
  while (p !== LEFT && p < end) {
    p = checkString(bytes, p, end, 'topic filter');
    // SUBSCRIBE: the subscription options byte (mqtt-packet refuses a filter without one).
    if (subscribe && p !== LEFT) p++;
  }
}

/** Offset of the variable header; the Framer has checked the remaining length (at most 4 bytes). */
function bodyStart(bytes: Buffer): number {
  let p = 1;
  while (bytes[p] & 0x80) p++;
  return p + 1;
}

/** Checks the UTF-8 string at bytes[p] (two length bytes, then the string); the offset after it. */
function checkString(bytes: Buffer, p: number, end: number, what: string): number {
  if (p === LEFT || p + 2 > end) return LEFT;
  const start = p + 2;
  const stringEnd = start + ((bytes[p] << 8) | bytes[p + 1]);
  if (stringEnd > end) return LEFT;
  checkUtf8(bytes, start, stringEnd, what);
  return stringEnd;
}

/** The offset after the binary data at bytes[p] (two length bytes, then the data). */
function skipBinary(bytes: Buffer, p: number, end: number): number {
  if (p === LEFT || p + 2 > end) return LEFT;
  const dataEnd = p + 2 + ((bytes[p] << 8) | bytes[p + 1]);
  return dataEnd > end ? LEFT : dataEnd;
}

// MQTT 5.0 property identifiers by the size of their value (§2.2.2.2), as mqtt-packet knows them.
const BYTE_PROPERTIES = new Set([0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2a]);
const TWO_BYTE_PROPERTIES = new Set([0x13, 0x21, 0x22, 0x23]);
const FOUR_BYTE_PROPERTIES = new Set([0x02, 0x11, 0x18, 0x27]);
const VARINT_PROPERTIES = new Set([0x0b]);
/** UTF-8 strings and binary data: two length bytes, then the value. */
const LENGTH_PREFIXED_PROPERTIES = new Set([0x03, 0x08, 0x09, 0x12, 0x15, 0x16, 0x1a, 0x1c, 0x1f]);
const USER_PROPERTY = 0x26;

/**
 * The offset after the 5.0 property section at bytes[p] (its variable byte integer length,
 * then the properties). LEFT when mqtt-packet refuses the section itself (a length it cannot
 * read or running past the packet, an unknown property identifier) or reads nothing after
 * it; throws a Malformed Packet error when the properties do not end where the length says.
 */
function skipProperties(bytes: Buffer, p: number, end: number): number {
  if (p === LEFT) return LEFT;
  let length = 0;
  for (let i = 0, multiplier = 1; ; i++, multiplier *= 128) {
    if (i === 4 || p >= end) return LEFT;
    const byte = bytes[p++];
    length += (byte & 0x7f) * multiplier;
    if (!(byte & 0x80)) break;
  }
  const sectionEnd = p + length;
  if (sectionEnd > end) return LEFT;
  while (p < sectionEnd) {
    const id = bytes[p++];
    if (BYTE_PROPERTIES.has(id)) p += 1;
    else if (TWO_BYTE_PROPERTIES.has(id)) p += 2;
    else if (FOUR_BYTE_PROPERTIES.has(id)) p += 4;
    else if (VARINT_PROPERTIES.has(id)) {
      for (let n = 1; bytes[p] & 0x80; n++, p++) {
        if (n === 4) return LEFT; // a fifth byte: mqtt-packet refuses it
      }
      p++;
    } else if (LENGTH_PREFIXED_PROPERTIES.has(id)) p = afterLengthPrefixed(bytes, p, sectionEnd);
    else if (id === USER_PROPERTY)
      p = afterLengthPrefixed(bytes, afterLengthPrefixed(bytes, p, sectionEnd), sectionEnd);
    else return LEFT; // mqtt-packet refuses an unknown property (or identifier 0)
  }
  if (p !== sectionEnd) throw malformed('properties run past the property length');
  return sectionEnd;
}

/** The offset after two length bytes and the value they announce (maybe past `limit`). */
function afterLengthPrefixed(bytes: Buffer, p: number, limit: number): number {
  if (p + 2 > limit) return p + 2;
  return p + 2 + ((bytes[p] << 8) | bytes[p + 1]);
}
