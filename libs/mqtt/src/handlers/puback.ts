// Acknowledgements of PUBLISHes the node sent: PUBACK and PUBCOMP end a message,
// PUBREC moves a QoS 2 message on to PUBREL.
import type { IPubackPacket, IPubcompPacket, IPubrecPacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';
import { ReasonCode } from '../reason-codes.js';
import { sendAck } from '../send.js';

export function handlePuback(conn: MqttConnection, packet: IPubackPacket): undefined {
  conn.outbound.complete(packet.messageId ?? 0);
}

export function handlePubcomp(conn: MqttConnection, packet: IPubcompPacket): undefined {
  conn.outbound.complete(packet.messageId ?? 0);
}

export function handlePubrec(conn: MqttConnection, packet: IPubrecPacket): undefined {
  const packetId = packet.messageId ?? 0;
  if (conn.outbound.received(packetId)) return;
  // Unknown id: 5.0 answers PUBREL 0x92 so the client can release it.
  if (conn.version === 5) sendAck(conn, 'pubrel', packetId, ReasonCode.packetIdentifierNotFound);
}
