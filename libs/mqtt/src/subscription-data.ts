// What MQTT keeps with a subscription beyond what core routes on (its `protocol` data),
// and how a core delivery through such subscriptions becomes one PUBLISH to the client.
import type { Delivery, Message, Subscription } from '@edgemq/core';
import type { OutboundMessage } from './outbound.js';

/** Stored with the session (plain data): a resumed session keeps its options. */
export interface MqttSubscriptionData {
  /** MQTT 5: keep the publisher's retain flag on live delivery. */
  retainAsPublished: boolean;
  /** MQTT 5: 0 send retained on subscribe, 1 only for a new subscription, 2 never. */
  retainHandling: 0 | 1 | 2;
  /** MQTT 5: the Subscription Identifier as a list of zero or one, ready to send. */
  subscriptionIds: number[];
}

const NO_IDS: number[] = [];

function dataOf(sub: Subscription): MqttSubscriptionData | undefined {
  return sub.options.protocol as MqttSubscriptionData | undefined;
}

/** A matched message as one PUBLISH to this client. */
export function outboundOf(message: Message, delivery: Delivery): OutboundMessage {
  const { via } = delivery;
  let retainAsPublished = false;
  let subscriptionIds = NO_IDS;
  if (via.length === 1) {
    const data = dataOf(via[0]);
    if (data) {
      retainAsPublished = data.retainAsPublished;
      subscriptionIds = data.subscriptionIds;
    }
  } else if (via.length > 1) {
    // Overlapping subscriptions: one copy with every subscription identifier [MQTT-3.3.4-3].
    subscriptionIds = [];
    for (const sub of via) {
      const data = dataOf(sub);
      if (!data) continue;
      retainAsPublished ||= data.retainAsPublished;
      for (const id of data.subscriptionIds) if (!subscriptionIds.includes(id)) subscriptionIds.push(id);
    }
  }
  return {
    message,
    qos: delivery.qos,
    // Live messages carry retain=0 unless the subscription asked otherwise [MQTT-3.3.1-9].
    retain: retainAsPublished && message.retain,
    subscriptionIds,
  };
}
