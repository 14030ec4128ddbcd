// What the broker's parts share: the node's settings, the sessions it holds, the
// subscription index and the backbone. One plain object built once by the Broker and
// handed to each part, so the parts reach shared state without knowing each other.
import type { Backbone, QueueOverflow } from '@edgemq/backbone';
import type { CoreLogger } from './core-logger.js';
import { Counters } from './counters.js';
import { KeyedLock } from './keyed-lock.js';
import type { Session } from './session.js';
import { SharedMembership } from './shared-membership.js';
import { SubscriptionIndex } from './subscription-index.js';

export interface BrokerOptions {
  nodeId: string;
  /** QoS 1/2 messages that may arrive for a parked session before `queueOverflow` applies. */
  maxQueuedMessages: number;
  /** What a full parked queue gives up (default: its oldest message). */
  queueOverflow?: QueueOverflow;
  /** How long a takeover waits for the old connection to hand its session back. */
  takeoverTimeoutMs?: number;
  matchCacheSize?: number;
  now?: () => number;
  /** Other nodes share the backbone: local matches are not the whole story. */
  clustered?: boolean;
  /** A node silent this long is left out of shared-group views (default 3 s). */
  nodeSuspectAfterMs?: number;
  /** Where core reports failures nobody waits for (a pino child logger fits). */
  logger: CoreLogger;
}

export interface BrokerState {
  readonly backbone: Backbone;
  readonly nodeId: string;
  readonly maxQueuedMessages: number;
  readonly queueOverflow: QueueOverflow;
  readonly takeoverTimeoutMs: number;
  readonly clustered: boolean;
  readonly now: () => number;
  readonly log: CoreLogger;
  readonly counters: Counters;
  /** The sessions this node holds, connected or parked, by client id. */
  readonly sessions: Map<string, Session>;
  readonly index: SubscriptionIndex;
  readonly membership: SharedMembership;
  /** Opening, adopting and replaying into one client id's session happen one at a time. */
  readonly openLock: KeyedLock;
}

export function createBrokerState(backbone: Backbone, options: BrokerOptions): BrokerState {
  const clustered = options.clustered ?? false;
  return {
    backbone,
    nodeId: options.nodeId,
    maxQueuedMessages: options.maxQueuedMessages,
    queueOverflow: options.queueOverflow ?? 'dropOldest',
    takeoverTimeoutMs: options.takeoverTimeoutMs ?? 1000,
    clustered,
    now: options.now ?? Date.now,
    log: options.logger,
    counters: new Counters(),
    sessions: new Map(),
    index: new SubscriptionIndex(options.matchCacheSize),
    membership: new SharedMembership(backbone, clustered, options.logger, options.nodeSuspectAfterMs),
    openLock: new KeyedLock(),
  };
}
