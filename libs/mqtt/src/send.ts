// Outbound encoders: one function per packet the node sends. Handlers call these and
// never build packets themselves.
import type { IConnackPacket, IPublishPacket } from 'mqtt-packet';
import { encode } from './codec.js';
import type { MqttConnection } from './connection.js';
import type { OutboundMessage } from './outbound.js';
import { connackReturnCodeFor } from './reason-codes.js';

export function sendConnack(conn: MqttConnection, reasonCode: number, sessionPresent: boolean): void {
  const packet: IConnackPacket = { cmd: 'connack', sessionPresent };
  if (conn.version === 5) packet.reasonCode = reasonCode;
  else packet.returnCode = connackReturnCodeFor(reasonCode);
  conn.write(encode(packet, conn.version));
}

export function sendPublish(
  conn: MqttConnection,
  entry: OutboundMessage,
  packetId: number | undefined,
  dup: boolean,
): boolean {
  const { message } = entry;
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic: message.topic,
    payload: message.payload,
    qos: entry.qos,
    retain: entry.retain,
    dup,
  };
  if (packetId !== undefined) packet.messageId = packetId;
  return conn.write(encode(packet, conn.version));
}

export function sendAck(
  conn: MqttConnection,
  cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp',
  packetId: number,
  reasonCode = 0,
): boolean {
  const packet =
    conn.version === 5 && reasonCode !== 0
      ? { cmd, messageId: packetId, reasonCode }
      : { cmd, messageId: packetId };
  return conn.write(encode(packet, conn.version));
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

export function sendDisconnect(conn: MqttConnection, reasonCode: number): void {
  if (conn.version !== 5) return; // 3.1.1 has no server DISCONNECT: the socket just closes
  conn.write(encode({ cmd: 'disconnect', reasonCode }, conn.version));
}
