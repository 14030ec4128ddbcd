// MQTT 5 says of nearly every property "It is a Protocol Error to include X more than once".
// mqtt-packet accepts repeats: it turns a repeated property into an array (and silently keeps
// the last of repeated falsy values), which would then travel with a message and break every
// later encoding of it. So the bytes of each property section are read here, after the
// decoder found the packet well-formed, and a repeat refuses the packet. Only User Property
// may repeat in what a client sends; Subscription Identifier also in a PUBLISH (from a server).
import { connectRefused, protocolError } from './errors.js';
import { ReasonCode } from './reason-codes.js';

const USER_PROPERTY = 0x26;
const SUBSCRIPTION_IDENTIFIER = 0x0b;

/** How a property's value is written (§2.2.2.2): fixed bytes, or a length-prefixed kind. */
type ValueKind = 1 | 2 | 4 | 'varint' | 'string' | 'pair';

/** Every MQTT 5 property identifier, by its value's kind; the name is for the error. */
const PROPERTIES = new Map<number, [string, ValueKind]>([
  [0x01, ['Payload Format Indicator', 1]],
  [0x02, ['Message Expiry Interval', 4]],
  [0x03, ['Content Type', 'string']],
  [0x08, ['Response Topic', 'string']],
  [0x09, ['Correlation Data', 'string']],
  [0x0b, ['Subscription Identifier', 'varint']],
  [0x11, ['Session Expiry Interval', 4]],
  [0x12, ['Assigned Client Identifier', 'string']],
  [0x13, ['Server Keep Alive', 2]],
  [0x15, ['Authentication Method', 'string']],
  [0x16, ['Authentication Data', 'string']],
  [0x17, ['Request Problem Information', 1]],
  [0x18, ['Will Delay Interval', 4]],
  [0x19, ['Request Response Information', 1]],
  [0x1a, ['Response Information', 'string']],
  [0x1c, ['Server Reference', 'string']],
  [0x1f, ['Reason String', 'string']],
  [0x21, ['Receive Maximum', 2]],
  [0x22, ['Topic Alias Maximum', 2]],
  [0x23, ['Topic Alias', 2]],
  [0x24, ['Maximum QoS', 1]],
  [0x25, ['Retain Available', 1]],
  [0x26, ['User Property', 'pair']],
  [0x27, ['Maximum Packet Size', 4]],
  [0x28, ['Wildcard Subscription Available', 1]],
  [0x29, ['Subscription Identifier Available', 1]],
  [0x2a, ['Shared Subscription Available', 1]],
]);

const CONNECT = 1;
const CONNACK = 2;
const PUBLISH = 3;
const PUBACK = 4;
const PUBCOMP = 7;
const SUBSCRIBE = 8;
const UNSUBACK = 11;
const DISCONNECT = 14;
const AUTH = 15;

/**
 * Throws a Protocol Error (0x82; for CONNECT a CONNACK refusal) when a property section of
 * this whole MQTT 5 packet repeats a property that may appear only once. Reads only what a
 * well-formed packet holds: run it after the decoder accepted the packet.
 */
export function checkSingleUseProperties(packet: Buffer): void {
  const type = packet[0] >> 4;
  let o = 1;
  while (o < packet.length && packet[o] & 0x80) o++;
  o++;
  const end = packet.length;
  const remaining = end - o;
  const check = (at: number) => checkSection(packet, at, end, type);
  switch (type) {
    case CONNECT: {
      o += 2 + u16(packet, o); // protocol name
      const flags = packet[o + 1];
      o = check(o + 4); // level, flags, keep alive; then the CONNECT properties
      if (flags & 0x04) check(o + 2 + u16(packet, o)); // after the client id: the will properties
      return;
    }
    case PUBLISH:
      o += 2 + u16(packet, o) + (packet[0] & 0x06 ? 2 : 0); // topic, packet id
      check(o);
      return;
    case CONNACK: // flags, reason code
    case DISCONNECT: // reason code
    case AUTH: // reason code
      if (remaining > (type === CONNACK ? 2 : 1)) check(o + (type === CONNACK ? 2 : 1));
      return;
    default:
      if (type >= PUBACK && type <= PUBCOMP) {
        if (remaining > 3) check(o + 3); // packet id, reason code
      } else if (type >= SUBSCRIBE && type <= UNSUBACK) check(o + 2); // packet id
  }
}

/** Reads the property section at `start`; returns where it ends. */
function checkSection(packet: Buffer, start: number, end: number, type: number): number {
  if (start >= end) return start;
  let length = 0;
  let o = start;
  for (let shift = 0; o < end && shift < 28; shift += 7) {
    const byte = packet[o++];
    length += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) break;
  }
  const sectionEnd = Math.min(end, o + length);
  let seen = 0n;
  while (o < sectionEnd) {
    const id = packet[o++];
    const known = PROPERTIES.get(id);
    if (!known) return sectionEnd; // the decoder refuses unknown properties
    const [name, kind] = known;
    const repeatable = id === USER_PROPERTY || (id === SUBSCRIPTION_IDENTIFIER && type === PUBLISH);
    const bit = 1n << BigInt(id);
    if (seen & bit && !repeatable) {
      const message = `${name} more than once`;
      throw type === CONNECT ? connectRefused(ReasonCode.protocolError, message) : protocolError(message);
    }
    seen |= bit;
    o = valueEnd(packet, o, kind);
  }
  return sectionEnd;
}

function valueEnd(packet: Buffer, o: number, kind: ValueKind): number {
  switch (kind) {
    case 'varint':
      while (o < packet.length && packet[o] & 0x80) o++;
      return o + 1;
    case 'string':
      return o + 2 + u16(packet, o);
    case 'pair': {
      const keyEnd = o + 2 + u16(packet, o);
      return keyEnd + 2 + u16(packet, keyEnd);
    }
    default:
      return o + kind;
  }
}

/** A two-byte integer; 0 past the end (only a malformed packet would get there). */
function u16(packet: Buffer, o: number): number {
  return o + 1 < packet.length ? (packet[o] << 8) | packet[o + 1] : 0;
}
