// SUBSCRIBE: each filter is validated on its own (0x80 / 0x8F for a bad one, the rest
// still granted), SUBACK lists the granted QoS, then retained messages follow with the
// retain flag set [MQTT-3.3.1-8].
import type { QoS } from '@edgemq/backbone';
import { type Message, parseSharedFilter, type SubscriptionOptions, validateTopicFilter } from '@edgemq/core';
import type { ISubscribePacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';
import { ReasonCode, SUBACK_FAILURE } from '../reason-codes.js';
import { sendSuback } from '../send.js';

interface Granted {
  qos: QoS;
  subscriptionIds: number[];
  retained: Message[];
}

export async function handleSubscribe(conn: MqttConnection, packet: ISubscribePacket): Promise<void> {
  const session = conn.session!;
  const subscriptionId = packet.properties?.subscriptionIdentifier as number | undefined;
  const codes: number[] = [];
  const grants: Promise<Granted>[] = [];
  for (const sub of packet.subscriptions) {
    if (!acceptable(conn, sub.topic)) {
      codes.push(conn.version === 5 ? ReasonCode.topicFilterInvalid : SUBACK_FAILURE);
      continue;
    }
    const options: SubscriptionOptions = {
      qos: sub.qos,
      noLocal: sub.nl ?? false,
      retainAsPublished: sub.rap ?? false,
      retainHandling: (sub.rh ?? 0) as 0 | 1 | 2,
      subscriptionId,
    };
    codes.push(sub.qos);
    grants.push(
      conn.broker.subscribe(session, sub.topic, options).then((retained) => ({
        qos: sub.qos,
        subscriptionIds: subscriptionId === undefined ? [] : [subscriptionId],
        retained,
      })),
    );
  }
  const granted = await Promise.all(grants);
  conn.corked(() => {
    sendSuback(conn, packet.messageId ?? 0, codes);
    for (const grant of granted) {
      for (const message of grant.retained) {
        conn.outbound.send({
          message,
          qos: Math.min(message.qos, grant.qos) as QoS,
          retain: true,
          subscriptionIds: grant.subscriptionIds,
        });
      }
    }
  });
}

function acceptable(conn: MqttConnection, filter: string): boolean {
  if (!validateTopicFilter(filter)) return false;
  // Shared subscriptions are a 5.0 feature; before it `$share/...` is an ordinary filter.
  return conn.version === 5 || parseSharedFilter(filter) === undefined || validateTopicFilter(filter);
}
