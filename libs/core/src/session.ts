// A session is what the broker keeps per client id: its subscriptions and, while the
// client is connected, the delivery target (the protocol connection). A persistent
// session without a target is "parked": matching QoS>0 messages go to its queue.
import type { LongTimeout, Message, QoS } from '@edgemq/model';

/**
 * What core needs to route a message to a subscription, in any protocol. What only one
 * protocol understands (MQTT's retain handling, retain as published and subscription
 * identifiers) travels in `protocol`: core stores it with the session and hands it back
 * with each delivery, and never reads it.
 */
export interface SubscriptionOptions {
  /** The highest QoS delivered under this subscription: min(published, granted). */
  qos: QoS;
  /** Messages this same client published are not delivered (MQTT 5 No Local, AMQP's no-local). */
  noLocal: boolean;
  /** The protocol's own data for this subscription; stored with the session, so plain data only. */
  protocol?: unknown;
}

export interface Subscription {
  readonly session: Session;
  /** As the client wrote it, `$share/{group}/…` included. */
  readonly filter: string;
  options: SubscriptionOptions;
  /** Set for a shared subscription: the group it belongs to on this node. */
  group?: SharedGroup;
  /**
   * `[this]`, made at its first delivery (most subscriptions of a large index never match):
   * the `via` of every delivery through this subscription alone (see aloneVia).
   */
  alone: readonly Subscription[] | undefined;
}

/**
 * The members of one `$share/{group}/{filter}` on this node. The index holds the group
 * once under the inner filter; each message goes to one member, in turn [MQTT-4.8.2].
 */
export interface SharedGroup {
  readonly key: string;
  readonly filter: string;
  readonly members: Subscription[];
  next: number;
}

export type IndexEntry = Subscription | SharedGroup;

/** `[sub]`, made once per subscription: a delivery through it alone allocates no array. */
export function aloneVia(sub: Subscription): readonly Subscription[] {
  let alone = sub.alone;
  if (alone === undefined) {
    alone = [sub];
    sub.alone = alone;
  }
  return alone;
}

export const isSharedGroup = (entry: IndexEntry): entry is SharedGroup => 'members' in entry;

/** How one message goes to one session, merged over all its matching subscriptions. */
export interface Delivery {
  /** The highest QoS any matching subscription grants for this message. */
  qos: QoS;
  /**
   * The session's subscriptions that matched, whose `options.protocol` settles the rest
   * (MQTT: the retain flag and subscription identifiers). Empty for a queued message that
   * no current subscription matches any more.
   */
  via: readonly Subscription[];
  /**
   * Set on a copy recovered for the session (replayed from the log after its node died, or
   * queued for it elsewhere meanwhile): admitted once already, so outside the queue bound.
   */
  recovered?: true;
}

/** The protocol connection that currently serves a session. */
export interface DeliveryTarget {
  /** A message matched this session. Called synchronously; the target queues as needed. */
  deliver(message: Message, delivery: Delivery): void;
  /**
   * When the oldest QoS 1/2 message this connection has not finished delivering was handed
   * to it (wall-clock ms), if any; it holds the node's replay mark back (Broker.replayMarkMs).
   */
  oldestUnsettledMs?(): number | undefined;
  /**
   * Another connection claimed the session: close this one and hand the session back
   * (Broker.closeSession) before the promise resolves.
   */
  takeOver(): Promise<void>;
}

/** What a session without subscriptions reads: most connections never subscribe. */
const NO_SUBSCRIPTIONS: ReadonlyMap<string, Subscription> = new Map();

export class Session {
  /** Created with the first subscription (an empty Map costs ~250 B per connection). */
  private subs?: Map<string, Subscription>;
  target?: DeliveryTarget;
  /** Generation of the backbone claim this node holds. */
  generation = 0;
  /** Survives the connection (clean session 0, or session expiry > 0). */
  persistent = false;
  /** How long the session outlives its connection (null = never), as stored for survivors. */
  sessionExpiryMs: number | null = 0;
  /** The connected client's will, stored so a survivor can publish it if this node dies. */
  will?: Message;
  /** Ends the parked session when its expiry passes (LocalSessions.scheduleExpiry). */
  expiry?: LongTimeout;

  constructor(readonly clientId: string) {}

  /** This session's subscriptions by filter; changed only through SubscriptionIndex. */
  get subscriptions(): ReadonlyMap<string, Subscription> {
    return this.subs ?? NO_SUBSCRIPTIONS;
  }

  /** For SubscriptionIndex: records `sub` under its filter. */
  keepSubscription(sub: Subscription): void {
    this.subs ??= new Map();
    this.subs.set(sub.filter, sub);
  }

  /** For SubscriptionIndex: forgets the subscription to `filter`. */
  dropSubscription(filter: string): void {
    this.subs?.delete(filter);
    if (this.subs?.size === 0) this.subs = undefined;
  }

  get parked(): boolean {
    return this.target === undefined;
  }
}

export const defaultSubscriptionOptions = (qos: QoS): SubscriptionOptions => ({ qos, noLocal: false });
