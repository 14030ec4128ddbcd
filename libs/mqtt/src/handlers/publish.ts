// PUBLISH from a client: validate the topic, hand the message to the broker, and
// acknowledge QoS 1 (PUBACK) / QoS 2 (PUBREC) only once the broker has stored it.
import type { Message } from '@edgemq/backbone';
import { validateTopicName } from '@edgemq/core';
import type { IPublishPacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';
import { protocolError } from '../errors.js';
import { ReasonCode } from '../reason-codes.js';
import { sendAck } from '../send.js';

export function handlePublish(conn: MqttConnection, packet: IPublishPacket): undefined {
  // [MQTT-3.3.2-2] no wildcards in a topic name; [MQTT-4.7.3-1] not empty.
  if (!validateTopicName(packet.topic)) throw protocolError(`invalid topic name "${packet.topic}"`);
  const packetId = packet.messageId ?? 0;
  if (packet.qos === 2 && conn.incomingQos2.has(packetId)) {
    // A re-sent QoS 2 PUBLISH whose PUBREL has not come: acknowledge, never publish twice.
    sendAck(conn, 'pubrec', packetId);
    return;
  }
  const message: Message = {
    topic: packet.topic,
    payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
    qos: packet.qos,
    retain: packet.retain,
    origin: { nodeId: conn.options.nodeId, clientId: conn.clientId },
    createdAtMs: Date.now(),
  };
  const stored = conn.broker.publish(message);
  if (packet.qos === 0) {
    stored.catch(() => undefined); // QoS 0 promises nothing
    return;
  }
  if (packet.qos === 2) conn.incomingQos2.add(packetId);
  const ack = packet.qos === 1 ? 'puback' : 'pubrec';
  stored.then(
    () => conn.corked(() => sendAck(conn, ack, packetId)),
    () => {
      // Not stored: never acknowledge it as if it were. 5.0 says why; 3.1.1 withholds the ack.
      if (packet.qos === 2) conn.incomingQos2.delete(packetId);
      if (conn.version === 5) conn.corked(() => sendAck(conn, ack, packetId, ReasonCode.unspecifiedError));
    },
  );
}
