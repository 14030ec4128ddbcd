// SUBSCRIBE: each filter is judged on its own (a refused one gets its reason code, the
// rest are still granted), SUBACK lists the outcome per filter, then retained messages
// follow with the retain flag set [MQTT-3.3.1-8].
import type { QoS } from '@edgemq/core';
import { type Message, parseSharedFilter, type SubscriptionOptions, validateTopicFilter } from '@edgemq/core';
import type { ISubscribePacket, ISubscription } from 'mqtt-packet';
import { protocolError } from '../errors.js';
import type { ClientLink } from '../handler-context.js';
import type { OpenMqttClient } from '../open-client.js';
import { ReasonCode, SUBACK_FAILURE } from '../reason-codes.js';
import { sendSuback } from '../send.js';
import { mqttSubscriptionData } from '../subscription-data.js';
import { topicFilterBreach } from '../topic-limits.js';

interface Granted {
  qos: QoS;
  subscriptionIds: readonly number[];
  retained: Message[];
}

/** One filter's SUBACK code, and what a granted one brings. */
interface Outcome {
  code: number;
  granted?: Granted;
}

export async function handleSubscribe(client: OpenMqttClient, packet: ISubscribePacket): Promise<void> {
  const { link } = client;
  const subscriptionId = packet.properties?.subscriptionIdentifier as number | undefined;
  if (subscriptionId === 0) throw protocolError('subscription identifier 0'); // [MQTT-3.8.2-?]
  // Every filter is judged before any is granted: one that makes the whole packet a protocol
  // error throws here, while nothing is under way. (A grant already started would be left
  // un-awaited, and its rejection, unhandled, would end the process.)
  const refusals = packet.subscriptions.map((sub) => refusalFor(link, sub, subscriptionId));
  const outcomes = packet.subscriptions.map((sub, i) => outcomeOf(client, sub, refusals[i], subscriptionId));
  // Every outcome is awaited, even after one failed, before the connection is failed with it.
  const settled: Outcome[] = [];
  for (const result of await Promise.allSettled(outcomes)) {
    if (result.status === 'rejected') throw result.reason;
    settled.push(result.value);
  }
  const codes = settled.map((outcome) => outcome.code);
  const granted = settled.flatMap((outcome) => (outcome.granted ? [outcome.granted] : []));
  link.corked(() => {
    sendSuback(link, packet.messageId ?? 0, codes);
    for (const grant of granted) {
      for (const message of grant.retained) {
        client.outbound.send({
          message,
          qos: Math.min(message.qos, grant.qos) as QoS,
          retain: true,
          subscriptionIds: grant.subscriptionIds,
          // Retained messages are served from the retained store, not the log: replaying the
          // log from their (maybe old) creation would find nothing and only hold the mark back.
          sinceMs: Date.now(),
        });
      }
    }
  });
}

/**
 * One filter's outcome: its refusal, access control's verdict, or the grant. Async so that
 * whatever a step throws (an access provider's bug) becomes this filter's rejection.
 */
async function outcomeOf(
  client: OpenMqttClient,
  sub: ISubscription,
  refusal: number | undefined,
  subscriptionId: number | undefined,
): Promise<Outcome> {
  if (refusal !== undefined) return { code: refusal };
  // The access seam's subscribe step, per filter: a refused one does not stop the rest.
  const allowed = await client.permissions.maySubscribe(sub.topic);
  return allowed ? grant(client, sub, subscriptionId) : { code: notAuthorized(client.link) };
}

/** Adds the subscription; resolves with the granted QoS as SUBACK code and what follows it. */
async function grant(
  client: OpenMqttClient,
  sub: ISubscription,
  subscriptionId: number | undefined,
): Promise<Outcome> {
  const { link, session } = client;
  const data = mqttSubscriptionData(sub.rap ?? false, (sub.rh ?? 0) as 0 | 1 | 2, subscriptionId);
  const options: SubscriptionOptions = { qos: sub.qos, noLocal: sub.nl ?? false, protocol: data };
  const { existed } = await link.broker.subscribe(session, sub.topic, options);
  const retained = await retainedOnSubscribe(link, sub.topic, data.retainHandling, existed);
  return { code: sub.qos, granted: { qos: sub.qos, subscriptionIds: data.subscriptionIds, retained } };
}

/** SUBACK code for a filter access control refused: 0x87 (5.0), 0x80 (3.1.1). */
function notAuthorized(link: ClientLink): number {
  return link.version === 5 ? ReasonCode.notAuthorized : SUBACK_FAILURE;
}

/** The retained messages a new or replaced subscription gets now. */
function retainedOnSubscribe(
  link: ClientLink,
  filter: string,
  retainHandling: 0 | 1 | 2,
  existed: boolean,
): Promise<Message[]> | Message[] {
  // Shared subscriptions get no retained messages [MQTT-4.8.2-?]; retain handling decides the
  // rest [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11].
  if (parseSharedFilter(filter)) return [];
  if (retainHandling === 2 || (retainHandling === 1 && existed)) return [];
  return link.broker.retainedFor(filter);
}

/** The SUBACK code refusing this filter, or undefined to grant it. */
function refusalFor(
  link: ClientLink,
  sub: ISubscription,
  subscriptionId: number | undefined,
): number | undefined {
  const v5 = link.version === 5;
  if (!validateTopicFilter(sub.topic)) return v5 ? ReasonCode.topicFilterInvalid : SUBACK_FAILURE;
  const { options } = link;
  // Past mqtt.maxTopicLevels / mqtt.maxTopicLength: refused like an invalid filter (as EMQX does).
  if (topicFilterBreach(sub.topic, options) !== undefined) {
    return v5 ? ReasonCode.topicFilterInvalid : SUBACK_FAILURE;
  }
  const shared = parseSharedFilter(sub.topic);
  if (shared && !options.sharedSubscriptions)
    return v5 ? ReasonCode.sharedSubscriptionsNotSupported : SUBACK_FAILURE;
  // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error.
  if (shared && sub.nl) throw protocolError('no local on a shared subscription');
  const inner = shared?.filter ?? sub.topic;
  if (!options.wildcardSubscriptions && /[+#]/.test(inner)) {
    return v5 ? ReasonCode.wildcardSubscriptionsNotSupported : SUBACK_FAILURE;
  }
  if (subscriptionId !== undefined && !options.subscriptionIdentifiers) {
    return ReasonCode.subscriptionIdentifiersNotSupported;
  }
  return undefined;
}
