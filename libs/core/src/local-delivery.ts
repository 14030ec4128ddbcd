// Local delivery: a message published here, or read from another node's log entries,
// goes to every session on this node whose subscriptions match it: one copy per session
// at the highest QoS granted, one member per shared group, none to a no-local subscriber's
// own messages. A connected session gets it at once; a parked one gets QoS 1/2 queued.
// This is the hot path: a single match allocates nothing beyond the delivery itself.
import type { Message, QoS } from '@edgemq/model';
import type { BrokerState } from './broker-state.js';
import type { Counters } from './counters.js';
import type { ParkedQueues } from './parked-queues.js';
import {
  aloneVia,
  type Delivery,
  type IndexEntry,
  isSharedGroup,
  type Session,
  type SharedGroup,
  type Subscription,
} from './session.js';
import type { SharedMembership } from './shared-membership.js';
import { pickMember, type SubscriptionIndex } from './subscription-index.js';

export class LocalDelivery {
  // Held here, not read through the state, so each message costs one property read each.
  private readonly index: SubscriptionIndex;
  private readonly membership: SharedMembership;
  private readonly counters: Counters;

  constructor(
    state: BrokerState,
    private readonly parked: ParkedQueues,
  ) {
    this.index = state.index;
    this.membership = state.membership;
    this.counters = state.counters;
  }

  /** Delivers to every matching local session; returns how many sessions it went to. */
  deliver(message: Message): number {
    const entries = this.index.match(message.topic);
    if (entries.length === 0) return 0;
    if (entries.length === 1) {
      const entry = entries[0];
      const sub = isSharedGroup(entry) ? this.memberFor(entry, message) : entry;
      if (!sub || isOwnAndNoLocal(message, sub)) return 0;
      this.deliverTo(sub.session, message, deliveryOf(sub, message));
      return 1;
    }
    const merged = mergedDeliveries(entries, message, (entry) => {
      const sub = isSharedGroup(entry) ? this.memberFor(entry, message) : entry;
      return sub && !isOwnAndNoLocal(message, sub) ? sub : undefined;
    });
    for (const [session, delivery] of merged) this.deliverTo(session, message, delivery);
    return merged.size;
  }

  /**
   * How a queued message should go to `session` under its current subscriptions; one no
   * longer matched goes at the QoS it was queued with, without subscription identifiers.
   */
  deliveryFor(session: Session, message: Message): Delivery {
    // A session holds at most one member of a group (the group is per filter).
    const merged = mergedDeliveries(this.index.match(message.topic), message, (entry) =>
      isSharedGroup(entry)
        ? entry.members.find((sub) => sub.session === session)
        : entry.session === session
          ? entry
          : undefined,
    );
    return merged.get(session) ?? { qos: message.qos, via: [] };
  }

  /**
   * deliveryFor, for a copy recovered for `session` (replayed from the log, or queued for it
   * by another node): admitted once already, so outside its queue bound.
   */
  recoveredDeliveryFor(session: Session, message: Message): Delivery {
    const delivery = this.deliveryFor(session, message);
    delivery.recovered = true;
    return delivery;
  }

  /** A copy recovered for `sub`'s session (see shared-recovery.ts): outside its queue bound. */
  deliverRecovered(sub: Subscription, message: Message): void {
    const delivery = deliveryOf(sub, message);
    delivery.recovered = true;
    this.deliverTo(sub.session, message, delivery);
  }

  /** The local member of a shared group that gets `message`, if this node delivers it at all. */
  private memberFor(group: SharedGroup, message: Message): Subscription | undefined {
    return this.membership.delivers(group.key, message) ? pickMember(group) : undefined;
  }

  private deliverTo(session: Session, message: Message, delivery: Delivery): void {
    if (session.target) {
      this.counters.delivered++;
      session.target.deliver(message, delivery);
      return;
    }
    // Parked: keep QoS 1/2 for the next connection; QoS 0 is not kept for offline clients.
    if (delivery.qos === 0) return;
    const queued = delivery.qos === message.qos ? message : { ...message, qos: delivery.qos };
    // Not awaited: the push never rejects (a failure is logged there).
    this.parked.push(session.clientId, queued, delivery.recovered === true);
  }
}

/** [MQTT-3.8.3-3] no-local: a client id names one client cluster-wide, wherever it published. */
export function isOwnAndNoLocal(message: Message, sub: Subscription): boolean {
  return sub.options.noLocal && message.origin.clientId === sub.session.clientId;
}

/** How `message` goes to one subscription: QoS = min(published, granted). */
function deliveryOf(sub: Subscription, message: Message): Delivery {
  return { qos: Math.min(message.qos, sub.options.qos) as QoS, via: aloneVia(sub) };
}

/**
 * One delivery per session over the subscription `select` picks from each matching index
 * entry: overlapping subscriptions of a session give one copy at the highest granted QoS,
 * with every subscription identifier [MQTT-3.3.5-1].
 */
export function mergedDeliveries(
  entries: readonly IndexEntry[],
  message: Message,
  select: (entry: IndexEntry) => Subscription | undefined,
): Map<Session, Delivery> {
  const merged = new Map<Session, Delivery>();
  for (const entry of entries) {
    const sub = select(entry);
    if (sub) mergeInto(merged, sub, message);
  }
  return merged;
}

function mergeInto(merged: Map<Session, Delivery>, sub: Subscription, message: Message): void {
  const delivery = merged.get(sub.session);
  if (!delivery) {
    merged.set(sub.session, deliveryOf(sub, message));
    return;
  }
  const qos = Math.min(message.qos, sub.options.qos) as QoS;
  if (qos > delivery.qos) delivery.qos = qos;
  // `via` may be a subscription's shared `alone` list: never push onto it.
  delivery.via = delivery.via.concat(sub);
}
