// Outbound encoders: one function per packet the node sends. Handlers call these and
// never build packets themselves. 3.1.1 encodings drop every 5.0 property.
import { isExpired } from '@edgemq/backbone';
import type { IConnackPacket, IPublishPacket, Packet } from 'mqtt-packet';
import { encode } from './codec.js';
import type { MqttConnection } from './connection.js';
import type { OutboundMessage, SendResult } from './outbound.js';
import { publishPropertiesFor } from './properties.js';
import { connackReturnCodeFor } from './reason-codes.js';

export type ConnackProperties = NonNullable<IConnackPacket['properties']>;

export function sendConnack(
  conn: MqttConnection,
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
  conn: MqttConnection,
  entry: OutboundMessage,
  packetId: number | undefined,
  dup: boolean,
): SendResult {
  const { message } = entry;
  const now = Date.now();
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic: message.topic,
    payload: message.payload,
    qos: entry.qos,
    retain: entry.retain,
    dup,
  };
  if (packetId !== undefined) packet.messageId = packetId;
  let newAlias = false;
  if (conn.version === 5) {
    const properties = publishPropertiesFor(message, entry.subscriptionIds, now);
    if (properties === null) return dropExpired(conn);
    const alias = conn.outboundAliases?.lookup(message.topic);
    if (alias) {
      packet.properties = { ...properties, topicAlias: alias.alias };
      if (alias.known) packet.topic = '';
      newAlias = !alias.known;
    } else if (properties) {
      packet.properties = properties;
    }
  } else if (isExpired(message, now)) {
    return dropExpired(conn);
  }
  const bytes = encode(packet, conn.version);
  if (bytes.length > conn.clientMaxPacketBytes) {
    // [MQTT-3.1.2-25] never send a packet larger than the client's Maximum Packet Size.
    if (newAlias) conn.outboundAliases?.forget(message.topic);
    conn.broker.counters.droppedTooLarge++;
    return 'dropped';
  }
  return conn.write(bytes) ? 'ok' : 'congested';
}

function dropExpired(conn: MqttConnection): SendResult {
  conn.broker.counters.droppedExpired++;
  return 'dropped';
}

export function sendAck(
  conn: MqttConnection,
  cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp',
  packetId: number,
  reasonCode = 0,
  reasonString?: string,
): boolean {
  if (conn.version !== 5 || reasonCode === 0)
    return conn.write(encode({ cmd, messageId: packetId }, conn.version));
  // [MQTT-3.1.2-29] a reason string only when the client did not turn problem information off.
  const properties = reasonString && conn.problemInformation ? { reasonString } : undefined;
  return conn.write(withinClientLimit(conn, { cmd, messageId: packetId, reasonCode, properties } as Packet));
}

export function sendPubrel(conn: MqttConnection, packetId: number): boolean {
  return sendAck(conn, 'pubrel', packetId);
}

export function sendSuback(conn: MqttConnection, packetId: number, granted: number[]): void {
  conn.write(encode({ cmd: 'suback', messageId: packetId, granted }, conn.version));
}

export function sendUnsuback(conn: MqttConnection, packetId: number, reasonCodes: number[]): void {
  // 3.1.1 UNSUBACK has no payload; the encoder writes the codes only for 5.0.
  conn.write(encode({ cmd: 'unsuback', messageId: packetId, granted: reasonCodes }, conn.version));
}

export function sendPingresp(conn: MqttConnection): void {
  conn.write(encode({ cmd: 'pingresp' }, conn.version));
}

export function sendDisconnect(conn: MqttConnection, reasonCode: number, reasonString?: string): void {
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
  conn: MqttConnection,
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
