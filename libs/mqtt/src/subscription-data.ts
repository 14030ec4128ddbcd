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
  readonly subscriptionIds: readonly number[];
}

const NO_IDS: readonly number[] = Object.freeze([]);

/** Without a subscription identifier there are six possible values: shared, frozen, not one per subscription. */
const WITHOUT_ID = new Map<number, MqttSubscriptionData>();

/** The data of one subscription; the common ones (no identifier) are one shared object each. */
export function mqttSubscriptionData(
  retainAsPublished: boolean,
  retainHandling: 0 | 1 | 2,
  subscriptionId: number | undefined,
): MqttSubscriptionData {
  if (subscriptionId !== undefined) {
    return { retainAsPublished, retainHandling, subscriptionIds: [subscriptionId] };
  }
  const key = retainHandling * 2 + (retainAsPublished ? 1 : 0);
  let shared = WITHOUT_ID.get(key);
  if (!shared) {
    shared = Object.freeze({ retainAsPublished, retainHandling, subscriptionIds: NO_IDS });
    WITHOUT_ID.set(key, shared);
  }
  return shared;
}

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
    const merged: number[] = [];
    for (const sub of via) {
      const data = dataOf(sub);
      if (!data) continue;
      retainAsPublished ||= data.retainAsPublished;
      for (const id of data.subscriptionIds) if (!merged.includes(id)) merged.push(id);
    }
    subscriptionIds = merged;
  }
  return {
    message,
    qos: delivery.qos,
    // Live messages carry retain=0 unless the subscription asked otherwise [MQTT-3.3.1-9].
    retain: retainAsPublished && message.retain,
    subscriptionIds,
    recovered: delivery.recovered,
  };
}
