// UNSUBSCRIBE: remove each filter; 5.0 reports per filter whether it existed.
import type { IUnsubscribePacket } from 'mqtt-packet';
import type { OpenMqttClient } from '../open-client.js';
import { ReasonCode } from '../reason-codes.js';
import { sendUnsuback } from '../send.js';

export async function handleUnsubscribe(client: OpenMqttClient, packet: IUnsubscribePacket): Promise<void> {
  const { link, session } = client;
  const removed = await Promise.all(
    packet.unsubscriptions.map((filter) => link.broker.unsubscribe(session, filter)),
  );
  const codes = removed.map((r) => (r ? ReasonCode.success : ReasonCode.noSubscriptionExisted));
  link.corked(() => sendUnsuback(link, packet.messageId ?? 0, codes));
}
