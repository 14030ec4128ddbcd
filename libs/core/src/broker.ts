// The protocol-neutral broker of one node, as the protocols see it: a facade over its
// parts. Publishes go to local subscribers at once (local-delivery.ts) and to the backbone
// log for other nodes; the publish promise resolves once stored. Sessions are opened,
// closed and handed over in session-ownership.ts (remote-takeover.ts for another node's),
// parked sessions' queues live in parked-queues.ts, replay and the replay mark in
// replay.ts, a dead node's clients in dead-node-adoption.ts; state they share in
// broker-state.ts. Retained topic names and subscribe/unsubscribe are small enough to
// stay here.
import { type Backbone, storedDespite } from '@edgemq/backbone';
import { isExpired, type Message } from '@edgemq/model';
import { AppendBatcher } from './append-batcher.js';
import { type BrokerOptions, type BrokerState, createBrokerState } from './broker-state.js';
import type { CoreLogger } from './core-logger.js';
import type { Counters } from './counters.js';
import { DeadNodeAdoption } from './dead-node-adoption.js';
import { LocalDelivery } from './local-delivery.js';
import { LocalSessions } from './local-sessions.js';
import { ParkedQueues } from './parked-queues.js';
import { RemoteTakeover } from './remote-takeover.js';
import { Replay } from './replay.js';
import { RetainedIndex } from './retained-index.js';
import type { Delivery, DeliveryTarget, Session, SubscriptionOptions } from './session.js';
import {
  type CloseSessionRequest,
  type OpenSessionRequest,
  type OpenSessionResult,
  SessionOwnership,
} from './session-ownership.js';
import { SharedRecovery } from './shared-recovery.js';
import { Wills } from './wills.js';

export type { BrokerOptions } from './broker-state.js';
export type { CloseSessionRequest, OpenSessionRequest, OpenSessionResult } from './session-ownership.js';

export interface PublishResult {
  /** Sessions the message went to; undefined when other nodes may have matched it too. */
  matched: number | undefined;
}

export class Broker {
  readonly counters: Counters;
  private readonly state: BrokerState;
  private readonly log: CoreLogger;
  private readonly clustered: boolean;
  private readonly retained = new RetainedIndex();
  private readonly batcher: AppendBatcher;
  private readonly wills: Wills;
  private readonly local: LocalSessions;
  private readonly delivery: LocalDelivery;
  private readonly replay: Replay;
  private readonly ownership: SessionOwnership;
  private readonly adoption: DeadNodeAdoption;
  private publishSeq = 0;
  /** Single node: how many sessions a stored QoS 1/2 publish went to, until publish() reads it. */
  private readonly matchedLocally = new Map<Message, number>();

  constructor(
    private readonly backbone: Backbone,
    options: BrokerOptions,
  ) {
    const state = createBrokerState(backbone, options);
    this.state = state;
    this.counters = state.counters;
    this.log = state.log;
    this.clustered = state.clustered;
    this.wills = new Wills((will) => this.publish(will), state.log, state.now);
    this.batcher = new AppendBatcher(
      (messages) => backbone.append(messages),
      (messages, error) => this.deliverStored(messages, error),
      state.log,
    );
    this.local = new LocalSessions(state, this.wills);
    const parked = new ParkedQueues(state);
    this.delivery = new LocalDelivery(state, parked);
    this.replay = new Replay(state, this.delivery, parked);
    const remote = new RemoteTakeover(state, this.local, this.replay, this.delivery, parked);
    this.ownership = new SessionOwnership(state, this.local, this.wills, remote, this.replay, parked);
    this.adoption = new DeadNodeAdoption(state, this.local, this.wills, this.replay);
    const sharedRecovery = new SharedRecovery(state, this.delivery);
    state.membership.onSuspect = (node, viewsBefore) => {
      sharedRecovery.recover(node, viewsBefore).catch((error: unknown) => {
        state.log.warn(
          { suspect: node, err: error },
          'a node went silent and reading the log for its share of shared-group messages failed: that share is lost',
        );
      });
    };
  }

  get nodeId(): string {
    return this.state.nodeId;
  }

  get sessionCount(): number {
    return this.state.sessions.size;
  }

  get subscriptionCount(): number {
    return this.state.index.size;
  }

  async start(): Promise<void> {
    for (const topic of await this.backbone.retained.topics()) this.retained.add(topic);
    this.state.membership.start();
    this.backbone.onRemote((message) => this.acceptRemote(message));
    this.backbone.onDataLost(() => this.dataLost());
    this.backbone.control.onRequest(async (command) => {
      if (command.type === 'takeover' && command.clientId) {
        await this.ownership.handOver(command.clientId, command.cleanStart ?? false);
      }
    });
  }

  /** Claims the session for a new connection, taking it over from an older one. */
  openSession(request: OpenSessionRequest): Promise<OpenSessionResult> {
    return this.ownership.open(request);
  }

  /** The connection serving `session` ended. Parks or discards the session; handles the will. */
  closeSession(session: Session, target: DeliveryTarget, request: CloseSessionRequest): Promise<void> {
    return this.ownership.close(session, target, request);
  }

  /**
   * Adds or replaces a subscription [MQTT-3.8.4-3]; resolves once stored with a persistent
   * session. `existed`: it replaced one (MQTT retain handling 1 tells them apart).
   */
  async subscribe(
    session: Session,
    filter: string,
    options: SubscriptionOptions,
  ): Promise<{ existed: boolean }> {
    const { existed, newGroup } = this.state.index.add(session, filter, options);
    if (newGroup) await this.state.membership.joined(newGroup);
    if (session.persistent) await this.local.save(session, null, undefined);
    return { existed };
  }

  async unsubscribe(session: Session, filter: string): Promise<boolean> {
    const sub = session.subscriptions.get(filter);
    if (!sub) return false;
    const emptied = this.state.index.remove(sub);
    if (emptied) await this.state.membership.left(emptied);
    if (session.persistent) await this.local.save(session, null, undefined);
    return true;
  }

  /** The retained messages whose topics match `filter` (a plain filter, not `$share/…`), unexpired. */
  async retainedFor(filter: string): Promise<Message[]> {
    const topics = this.retained.match(filter);
    if (topics.length === 0) return [];
    const now = this.state.now();
    const messages = await Promise.all(topics.map((t) => this.backbone.retained.get(t)));
    return messages.filter((m): m is Message => m !== undefined && !isExpired(m, now));
  }

  /**
   * Stores the message in the backbone (and, when retained, in the retained store), then
   * delivers it to local subscribers; resolves once both are done. Delivery waits for the
   * store so that a publish the store refuses reaches nobody: the publisher is told it
   * failed, and its retry is not a duplicate for anyone (docs/invariants.md).
   */
  async publish(message: Message): Promise<PublishResult> {
    this.accept(message);
    const stored = this.batcher.add(message).catch((error: unknown) => {
      // Another shard's write of the same batch failed, not this message's.
      if (!storedDespite(error, message)) throw error;
    });
    try {
      await (message.retain ? Promise.all([stored, this.backbone.retained.set(message)]) : stored);
      return { matched: this.clustered ? undefined : this.matchedLocally.get(message) };
    } finally {
      this.matchedLocally.delete(message);
    }
  }

  /**
   * The QoS 0 path: nothing is acknowledged, so no promise is made per message; it goes to
   * local subscribers with its batch (deliverStored), stored or not. Retained messages take
   * `publish`: their store must be awaited.
   */
  publishUnacknowledged(message: Message): void {
    if (message.retain) {
      this.publish(message).catch((error: unknown) => {
        this.log.warn(
          { clientId: message.origin.clientId, topic: message.topic, err: error },
          'retained QoS 0 message not stored',
        );
      });
      return;
    }
    this.accept(message);
    this.batcher.push(message);
  }

  /**
   * How a queued message should go to `session` under its current subscriptions; one no
   * longer matched goes at the QoS it was queued with, without subscription identifiers.
   */
  deliveryFor(session: Session, message: Message): Delivery {
    return this.delivery.deliveryFor(session, message);
  }

  /**
   * The log time from which a survivor must replay the log for this node's sessions if
   * this node dies now (see Replay.markMs).
   */
  replayMarkMs(): number {
    return this.replay.markMs();
  }

  /**
   * A node died: publish the wills of its connected clients, free its clean sessions and
   * adopt its persistent ones (parked here, queueing from now on). Called on the one
   * survivor that won the claim on the dead node.
   */
  adoptDeadNode(deadNodeId: string): Promise<number> {
    return this.adoption.adopt(deadNodeId);
  }

  /** Graceful shutdown, before the backbone goes: shared groups stop counting on this node. */
  leaveSharedGroups(): Promise<void> {
    return this.state.membership.leaveAll();
  }

  /** Node shutdown: forget local state (persistent records stay in the backbone). */
  stop(): void {
    for (const session of this.state.sessions.values()) session.expiry?.cancel();
    this.wills.stop();
    this.state.membership.stop();
  }

  /**
   * A batch of this node's publishes has been stored (or not): each stored message goes to
   * the local subscribers now, in publish order; one the store refused goes to nobody,
   * except QoS 0, which is best effort and keeps flowing locally while the store is away.
   */
  private deliverStored(messages: readonly Message[], error: unknown): void {
    for (const message of messages) {
      if (error !== undefined && message.qos > 0 && !storedDespite(error, message)) continue;
      const matched = this.delivery.deliver(message);
      if (!this.clustered && message.qos > 0) this.matchedLocally.set(message, matched);
    }
  }

  /**
   * The shared store came back empty. Say so, loudly and once per event: what it held is
   * gone and no node can bring it back. Shared groups are registered again at once, so the
   * cluster agrees again on who delivers each group's messages.
   */
  private dataLost(): void {
    this.counters.backboneDataLost++;
    this.log.error(
      { sessionsHere: this.state.sessions.size },
      'the backbone lost its data (Redis restarted empty or was flushed): session records, parked-session queues, retained messages and log entries stored before are gone; messages acknowledged before it and not yet delivered are lost',
    );
    this.state.membership.rejoinAll().catch((error: unknown) => {
      this.log.warn({ err: error }, 'shared groups not registered again after the data loss');
    });
  }

  private accept(message: Message): void {
    this.counters.published++;
    // With the origin node, the sequence names the message on every node (shared groups).
    message.origin.seq ??= ++this.publishSeq;
    if (message.retain) this.noteRetained(message);
  }

  private acceptRemote(message: Message): void {
    if (message.retain) this.noteRetained(message);
    this.delivery.deliver(message);
  }

  private noteRetained(message: Message): void {
    // An empty retained payload clears the topic [MQTT-3.3.1-10].
    if (message.payload.length === 0) this.retained.remove(message.topic);
    else this.retained.add(message.topic);
  }
}
