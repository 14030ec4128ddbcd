// What a persistent MQTT session stores at disconnect, beside core's record: the outbound
// flow (in flight and waiting) and the QoS 2 packet ids the client has not released.
import type { Delivery, Message } from '@edgemq/core';
import type { OutboundState } from './outbound.js';
import { outboundOf } from './subscription-data.js';

export interface MqttProtocolState {
  outbound: OutboundState;
  /** QoS 2 packet ids received (PUBREC sent) whose PUBREL has not arrived. */
  incomingQos2: number[];
}

/**
 * The state to park a session with when its connection closed before it could take what
 * the session had: the previous state, with the queued messages waiting behind it.
 */
export function parkedState(
  previous: MqttProtocolState | undefined,
  queued: Message[],
  deliveryFor: (message: Message) => Delivery,
): MqttProtocolState | undefined {
  if (queued.length === 0) return previous;
  const outbound = previous?.outbound ?? { inflight: [], pending: [] };
  return {
    incomingQos2: previous?.incomingQos2 ?? [],
    outbound: {
      ...outbound,
      pending: outbound.pending.concat(queued.map((m) => outboundOf(m, deliveryFor(m)))),
    },
  };
}
