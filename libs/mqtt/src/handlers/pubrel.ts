// PUBREL for a QoS 2 message the client sent: the packet id is released and PUBCOMP
// answers it, even for an id we no longer hold [MQTT-4.3.3-11].
import type { IPubrelPacket } from 'mqtt-packet';
import type { OpenMqttClient } from '../open-client.js';
import { ReasonCode } from '../reason-codes.js';
import { sendAck } from '../send.js';

export function handlePubrel(client: OpenMqttClient, packet: IPubrelPacket): undefined {
  const packetId = packet.messageId ?? 0;
  const known = client.incomingQos2?.delete(packetId) ?? false;
  sendAck(client.link, 'pubcomp', packetId, known ? ReasonCode.success : ReasonCode.packetIdentifierNotFound);
}
