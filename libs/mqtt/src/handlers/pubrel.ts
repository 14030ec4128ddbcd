// PUBREL for a QoS 2 message the client sent: the packet id is released and PUBCOMP
// answers it, even for an id we no longer hold [MQTT-4.3.3-11].
import type { IPubrelPacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';
import { ReasonCode } from '../reason-codes.js';
import { sendAck } from '../send.js';

export function handlePubrel(conn: MqttConnection, packet: IPubrelPacket): undefined {
  const packetId = packet.messageId ?? 0;
  const known = conn.incomingQos2?.delete(packetId) ?? false;
  sendAck(conn, 'pubcomp', packetId, known ? ReasonCode.success : ReasonCode.packetIdentifierNotFound);
}
