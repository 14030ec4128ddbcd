// Outbound encoders: one function per packet the node sends. Handlers call these and
// never build packets themselves. 3.1.1 encodings drop every 5.0 property. PUBLISH, the
// acks and PINGRESP are written by the fast codec (fast-codec.ts), the rest by mqtt-packet.
import { isExpired, type Message } from '@edgemq/core';
import type { IConnackPacket, Packet } from 'mqtt-packet';
import {
  type EncodablePublishProperties,
  encodeAck,
  encodePublish,
  encodePublishProperties,
  PINGRESP_BYTES,
} from './fast-codec.js';
import type { PacketWriter } from './handler-context.js';
import type { ConnackProperties } from './negotiated-session.js';
import type { OutboundMessage, SendResult } from './outbound.js';
import { encode, type ProtocolVersion } from './packet-codec.js';
import { publishPropertiesFor } from './properties.js';
import { connackReturnCodeFor } from './reason-codes.js';

export function sendConnack(
  conn: PacketWriter,
  reasonCode: number,
  sessionPresent: boolean,
  properties?: ConnackProperties,
): void {
  const packet: IConnackPacket = { cmd: 'connack', sessionPresent };
  if (conn.version !== 5) {
    packet.returnCode = connackReturnCodeFor(reasonCode);
    conn.write(encode(packet, conn.version));
    return;
  }
  packet.reasonCode = reasonCode;
  if (properties && Object.keys(properties).length > 0) packet.properties = properties;
  conn.write(withinClientLimit(conn, packet));
}

export function sendPublish(
  conn: PacketWriter,
  entry: OutboundMessage,
  packetId: number | undefined,
  dup: boolean,
): SendResult {
  let bytes: Buffer | 'expired' | undefined;
  try {
    bytes = encodePublishFor(conn, entry, packetId, dup);
  } catch {
    // A message the encoder cannot write (whatever stored it) is this one message's loss,
    // counted; the subscriber keeps its connection and gets everything else.
    conn.counters.droppedUnencodable++;
    return 'dropped';
  }
  if (bytes === 'expired') return dropExpired(conn);
  if (bytes === undefined) {
    conn.counters.droppedTooLarge++;
    return 'dropped';
  }
  return conn.write(bytes) ? 'ok' : 'congested';
}

/**
 * The PUBLISH bytes of `entry` for this client; 'expired' when the message has run out,
 * undefined when it exceeds the client's Maximum Packet Size. Throws when the message cannot
 * be encoded at all.
 */
function encodePublishFor(
  conn: PacketWriter,
  entry: OutboundMessage,
  packetId: number | undefined,
  dup: boolean,
): Buffer | 'expired' | undefined {
  const { message } = entry;
  const version = conn.version;
  if (version === 5 && (message.properties || entry.subscriptionIds.length > 0 || conn.outboundAliases)) {
    const outgoing = publishPropertiesFor(message, entry.subscriptionIds, Date.now());
    if (outgoing === null) return 'expired';
    const alias = conn.outboundAliases?.lookup(message.topic);
    const newAlias = alias !== undefined && !alias.known;
    let bytes: Buffer | undefined;
    try {
      const wireProperties: EncodablePublishProperties | undefined = alias
        ? { ...outgoing, topicAlias: alias.alias }
        : outgoing;
      const properties = wireProperties && encodePublishProperties(wireProperties);
      bytes = encodePublishOf(entry, alias?.known ? '' : message.topic, packetId, dup, properties, version);
    } finally {
      // A new alias is taught only by a PUBLISH that leaves.
      if (newAlias && (bytes === undefined || bytes.length > conn.clientMaxPacketBytes))
        conn.outboundAliases?.forget(message.topic);
    }
    return fitsClient(conn, bytes);
  }
  if (message.properties?.messageExpiryInterval !== undefined && isExpired(message, Date.now())) {
    return 'expired';
  }
  const bytes =
    entry.qos === 0
      ? sharedQos0Publish(message, entry.retain, version)
      : encodePublishOf(entry, message.topic, packetId, dup, undefined, version);
  return fitsClient(conn, bytes);
}

function encodePublishOf(
  entry: OutboundMessage,
  topic: string,
  packetId: number | undefined,
  dup: boolean,
  properties: Buffer | undefined,
  version: ProtocolVersion,
): Buffer {
  const { message, qos, retain } = entry;
  return encodePublish(
    { topic, payload: message.payload, qos, retain, dup, messageId: packetId, properties },
    version,
  );
}

/** [MQTT-3.1.2-25] never send a packet larger than the client's Maximum Packet Size. */
function fitsClient(conn: PacketWriter, bytes: Buffer): Buffer | undefined {
  return bytes.length > conn.clientMaxPacketBytes ? undefined : bytes;
}

// One message usually goes to many subscribers in a row: a QoS 0 PUBLISH without
// properties is the same bytes for each of them, so the last one encoded is kept.
let lastMessage: Message | undefined;
let lastForm = -1;
let lastBytes: Buffer | undefined;

function sharedQos0Publish(message: Message, retain: boolean, version: ProtocolVersion): Buffer {
  // 3.1 and 3.1.1 PUBLISHes are the same bytes; 5.0 adds an empty property section.
  const form = (version === 5 ? 2 : 0) | (retain ? 1 : 0);
  if (message === lastMessage && form === lastForm && lastBytes) return lastBytes;
  const bytes = encodePublish(
    { topic: message.topic, payload: message.payload, qos: 0, retain, dup: false },
    version,
  );
  lastMessage = message;
  lastForm = form;
  lastBytes = bytes;
  return bytes;
}

function dropExpired(conn: PacketWriter): SendResult {
  conn.counters.droppedExpired++;
  return 'dropped';
}

export function sendAck(
  conn: PacketWriter,
  cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp',
  packetId: number,
  reasonCode = 0,
  reasonString?: string,
): boolean {
  if (conn.version !== 5 || reasonCode === 0) return conn.write(encodeAck(cmd, packetId));
  // [MQTT-3.1.2-29] a reason string only when the client did not turn problem information off.
  const properties = reasonString && conn.problemInformation ? { reasonString } : undefined;
  return conn.write(withinClientLimit(conn, { cmd, messageId: packetId, reasonCode, properties } as Packet));
}

export function sendPubrel(conn: PacketWriter, packetId: number): boolean {
  return sendAck(conn, 'pubrel', packetId);
}

export function sendSuback(conn: PacketWriter, packetId: number, granted: number[]): void {
  conn.write(encode({ cmd: 'suback', messageId: packetId, granted }, conn.version));
}

export function sendUnsuback(conn: PacketWriter, packetId: number, reasonCodes: number[]): void {
  // 3.1.1 UNSUBACK has no payload; the encoder writes the codes only for 5.0.
  conn.write(encode({ cmd: 'unsuback', messageId: packetId, granted: reasonCodes }, conn.version));
}

export function sendPingresp(conn: PacketWriter): void {
  conn.write(PINGRESP_BYTES);
}

export function sendDisconnect(conn: PacketWriter, reasonCode: number, reasonString?: string): void {
  if (conn.version !== 5) return; // 3.1.1 has no server DISCONNECT: the socket just closes
  // Reason strings are allowed on DISCONNECT whatever Request Problem Information says.
  const properties = reasonString ? { reasonString } : undefined;
  conn.write(withinClientLimit(conn, { cmd: 'disconnect', reasonCode, properties }));
}

/**
 * Encodes a CONNACK or DISCONNECT, leaving the reason string out when the packet would
 * exceed the client's Maximum Packet Size [MQTT-3.1.2-24] [MQTT-3.14.2-3].
 */
function withinClientLimit(
  conn: PacketWriter,
  packet: Packet & { properties?: { reasonString?: string } },
): Buffer {
  const bytes = encode(packet, conn.version);
  if (bytes.length <= conn.clientMaxPacketBytes || !packet.properties?.reasonString) return bytes;
  const { reasonString: _dropped, ...rest } = packet.properties;
  return encode(
    { ...packet, properties: Object.keys(rest).length > 0 ? rest : undefined } as Packet,
    conn.version,
  );
}
