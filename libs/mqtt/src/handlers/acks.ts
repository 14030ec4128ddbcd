// Acknowledgements of PUBLISHes the node sent: PUBACK and PUBCOMP end a message,
// PUBREC moves a QoS 2 message on to PUBREL.
import type { IPubackPacket, IPubcompPacket, IPubrecPacket } from 'mqtt-packet';
import type { OpenMqttClient } from '../open-client.js';
import { ReasonCode } from '../reason-codes.js';
import { sendAck } from '../send.js';

export function handlePuback(client: OpenMqttClient, packet: IPubackPacket): undefined {
  client.outbound.complete(packet.messageId ?? 0);
}

export function handlePubcomp(client: OpenMqttClient, packet: IPubcompPacket): undefined {
  client.outbound.complete(packet.messageId ?? 0);
}

export function handlePubrec(client: OpenMqttClient, packet: IPubrecPacket): undefined {
  const packetId = packet.messageId ?? 0;
  if (client.outbound.received(packetId)) return;
  // Unknown id: 5.0 answers PUBREL 0x92 so the client can release it.
  if (client.link.version === 5)
    sendAck(client.link, 'pubrel', packetId, ReasonCode.packetIdentifierNotFound);
}
