// PUBLISH from a client: resolve its topic (alias), validate, hand the message to the
// broker, and acknowledge QoS 1 (PUBACK) / QoS 2 (PUBREC) only once the broker stored it.
import { isUtf8 } from 'node:buffer';
import type { Message } from '@edgemq/core';
import { validateTopicName } from '@edgemq/core';
import type { IPublishPacket } from 'mqtt-packet';

import { MqttError, malformed, protocolError } from '../errors.js';
import type { OpenMqttClient } from '../open-client.js';
import { messagePropertiesOf } from '../properties.js';
import { ReasonCode } from '../reason-codes.js';
import { sendAck } from '../send.js';
import { topicNameBreach } from '../topic-limits.js';

export function handlePublish(client: OpenMqttClient, packet: IPublishPacket): Promise<void> | undefined {
  const { link, settings } = client;
  // Both decoders hand these over as sent; the rules are checked here, once for both.
  // [MQTT-3.3.1-2] DUP only on a QoS 1 or 2 PUBLISH.
  if (packet.qos === 0 && packet.dup) throw malformed('QoS 0 PUBLISH with DUP set');
  const packetId = packet.messageId ?? 0;
  if (packet.qos > 0) {
    // mqtt-packet reads a packet id cut short as -1: a malformed packet.
    if (packetId < 0) throw malformed('PUBLISH without a packet id');
    // [MQTT-2.3.1-1] (5.0: [MQTT-2.2.1-3]) a QoS 1 or 2 PUBLISH has a non-zero packet id.
    if (packetId === 0) throw protocolError('PUBLISH with packet id 0');
  }
  const topic = settings.inboundAliases
    ? settings.inboundAliases.resolve(packet.topic, packet.properties?.topicAlias)
    : packet.topic;
  const cache = client.topicCache;
  if (!cache?.valid || cache.topic !== topic) {
    // [MQTT-3.3.2-2] no wildcards in a topic name; [MQTT-4.7.3-1] not empty.
    if (!validateTopicName(topic)) throw protocolError(`invalid topic name "${topic}"`);
    const breach = topicNameBreach(topic, link.options);
    if (breach !== undefined) return refuseTopic(client, packet, packetId, breach);
    if (cache && cache.topic === topic) cache.valid = true;
  }
  if (packet.qos === 2 && client.incomingQos2?.has(packetId)) {
    // A re-sent QoS 2 PUBLISH whose PUBREL has not come: acknowledge, never publish twice.
    sendAck(link, 'pubrec', packetId);
    return;
  }
  if (
    packet.qos > 0 &&
    link.version === 5 &&
    client.inboundQos1Pending + (client.incomingQos2?.size ?? 0) >= link.options.receiveMaximum
  ) {
    // More unacknowledged QoS>0 PUBLISHes than our Receive Maximum [MQTT-3.3.4-7]. Clients
    // that ignore it (MQTT.js 5) send bursts that arrive in one read, before the turn's
    // append could store and acknowledge any: process at most Receive Maximum at once and
    // let this one (and the packets after it) wait for a store in progress. Only when
    // nothing is being stored can waiting not help (the window is unreleased QoS 2, whose
    // PUBRELs would wait behind this packet): then DISCONNECT 0x93. A packet still waiting
    // when the connection closes was never acknowledged: the client sends it again.
    const storing = client.latestInboundStore;
    if (storing) return storing.then(() => (link.closed ? undefined : handlePublish(client, packet)));
    throw new MqttError(ReasonCode.receiveMaximumExceeded, 'receive maximum exceeded');
  }
  // The access seam's publish step: answered at once when cached, awaited (holding later
  // packets back, so order is kept) when the provider must be asked.
  const allowed = client.permissions.mayPublish(topic);
  if (allowed === true) return accept(client, packet, topic, packetId);
  if (allowed === false) return refuse(client, packet, packetId);
  return allowed.then((yes) =>
    yes ? accept(client, packet, topic, packetId) : refuse(client, packet, packetId),
  );
}

/**
 * A topic past the node's limits (mqtt.maxTopicLevels, mqtt.maxTopicLength) is never
 * published. 5.0 says Topic Name invalid (0x90): on the PUBACK / PUBREC of QoS 1/2, which the
 * spec allows and which keeps the connection, and on a DISCONNECT for QoS 0, which has no
 * ack (EMQX disconnects at every QoS). 3.1.1 cannot say why: the connection is closed.
 */
function refuseTopic(
  client: OpenMqttClient,
  packet: IPublishPacket,
  packetId: number,
  why: string,
): undefined {
  const { link } = client;
  if (link.version !== 5 || packet.qos === 0) throw new MqttError(ReasonCode.topicNameInvalid, why);
  sendAck(link, packet.qos === 1 ? 'puback' : 'pubrec', packetId, ReasonCode.topicNameInvalid, why);
}

/**
 * A PUBLISH access control refused is not forwarded. QoS 0 is dropped; QoS 1/2 are
 * acknowledged with 0x87 at 5.0, and plainly at 3.1.1, which cannot say no (as Mosquitto does).
 */
function refuse(client: OpenMqttClient, packet: IPublishPacket, packetId: number): undefined {
  if (packet.qos === 0) return;
  const { link } = client;
  const ack = packet.qos === 1 ? 'puback' : 'pubrec';
  if (link.version === 5) sendAck(link, ack, packetId, ReasonCode.notAuthorized, 'not authorized');
  else sendAck(link, ack, packetId);
}

/** Builds the message and hands it to the broker; QoS 1/2 are acknowledged once stored. */
function accept(client: OpenMqttClient, packet: IPublishPacket, topic: string, packetId: number): undefined {
  const { link, settings } = client;
  const ack = packet.qos === 1 ? 'puback' : 'pubrec';
  const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
  const properties = link.version === 5 ? messagePropertiesOf(packet.properties) : undefined;
  if (properties?.payloadFormatIndicator === 1 && !isUtf8(payload)) {
    // [MQTT-3.3.2-4] declared UTF-8 but is not: refuse it, never forward it.
    if (packet.qos === 0) throw new MqttError(ReasonCode.payloadFormatInvalid, 'payload is not valid UTF-8');
    sendAck(link, ack, packetId, ReasonCode.payloadFormatInvalid, 'payload is not valid UTF-8');
    return;
  }
  const message: Message = {
    topic,
    payload,
    qos: packet.qos,
    retain: packet.retain,
    origin: { nodeId: link.options.nodeId, clientId: settings.clientId },
    createdAtMs: Date.now(),
  };
  if (properties) message.properties = properties;
  if (packet.qos === 0) {
    link.broker.publishUnacknowledged(message); // QoS 0 promises nothing
    return;
  }
  const stored = link.broker.publish(message);
  if (packet.qos === 2) client.qos2Ids().add(packetId);
  else client.inboundQos1Pending++;
  const settled = stored.then(
    ({ matched }) => {
      if (client.latestInboundStore === settled) client.latestInboundStore = undefined;
      if (packet.qos === 1) client.inboundQos1Pending--;
      // 0x10 only when this node knows nobody matched (a single node); in a cluster it cannot know.
      const reason = matched === 0 ? ReasonCode.noMatchingSubscribers : ReasonCode.success;
      link.corked(() => sendAck(link, ack, packetId, reason));
    },
    () => {
      if (client.latestInboundStore === settled) client.latestInboundStore = undefined;
      // Not stored: never acknowledge it as if it were. 5.0 says why; 3.1.1 withholds the ack.
      if (packet.qos === 1) client.inboundQos1Pending--;
      else client.incomingQos2?.delete(packetId);
      if (link.version === 5)
        link.corked(() =>
          sendAck(link, ack, packetId, ReasonCode.unspecifiedError, 'message could not be stored'),
        );
    },
  );
  client.latestInboundStore = settled;
}
