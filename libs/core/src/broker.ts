// The protocol-neutral broker of one node: sessions, the local subscription index,
// retained topic names, and delivery. Publishes go to local subscribers at once and to
// the backbone log for other nodes; the publish promise resolves once stored.
import type { Backbone, SessionRecord } from '@edgemq/backbone';
import { isExpired, type Message, type QoS } from '@edgemq/model';
import { AppendBatcher } from './append-batcher.js';
import { Counters } from './counters.js';
import { DelayedWills } from './delayed-wills.js';
import { KeyedLock } from './keyed-lock.js';
import { RetainedIndex } from './retained-index.js';
import {
  type Delivery,
  type DeliveryTarget,
  type IndexEntry,
  isSharedGroup,
  Session,
  type SharedGroup,
  type Subscription,
  type SubscriptionOptions,
} from './session.js';
import { settlesWithin } from './settles-within.js';
import { SharedMembership } from './shared-membership.js';
import { pickMember, SubscriptionIndex } from './subscription-index.js';

/** How long a takeover keeps listening for a slow old owner after the 1 s bound. */
const LATE_ANSWER_MS = 30_000;

/**
 * Replay starts this much before a dead node's mark: the mark is in that node's clock,
 * log entries carry Redis's, and a local publish reaches the log just after delivery.
 */
const REPLAY_MARGIN_MS = 2000;

export interface BrokerOptions {
  nodeId: string;
  /** QoS 1/2 messages kept per parked session; overflow drops the oldest. */
  maxQueuedMessages: number;
  /** How long a takeover waits for the old connection to hand its session back. */
  takeoverTimeoutMs?: number;
  matchCacheSize?: number;
  now?: () => number;
  /** Other nodes share the backbone: local matches are not the whole story. */
  clustered?: boolean;
}

export interface OpenSessionRequest {
  clientId: string;
  /** Discard any previous session state. */
  cleanStart: boolean;
  /** Keep the session after the connection ends. */
  persistent: boolean;
  target: DeliveryTarget;
  /** How long the session outlives the connection; null = never. Defaults from `persistent`. */
  sessionExpiryMs?: number | null;
  /** Stored with the session so that a survivor publishes it if this node dies. */
  will?: Message;
}

export interface OpenSessionResult {
  session: Session;
  /** A previous session was resumed. */
  present: boolean;
  /** What the protocol stored at the previous disconnect (packets in flight). */
  protocolState?: unknown;
  /** Messages queued while the session was parked, oldest first. */
  queued: Message[];
}

export interface CloseSessionRequest {
  /** Stored for the next connection when the session is persistent. */
  protocolState?: unknown;
  /** When a persistent session may be discarded; null = never. */
  expiresAtMs: number | null;
  /** Overrides the persistence chosen at open (MQTT 5 DISCONNECT may set expiry 0). */
  persistent?: boolean;
  /** Published now, or after `willDelayMs` unless the session is resumed first. */
  will?: Message;
  willDelayMs?: number;
}

export interface PublishResult {
  /** Sessions the message went to; undefined when other nodes may have matched it too. */
  matched: number | undefined;
}

export class Broker {
  readonly counters = new Counters();
  private readonly sessions = new Map<string, Session>();
  private readonly index: SubscriptionIndex;
  private readonly wills: DelayedWills;
  private readonly membership: SharedMembership;
  private publishSeq = 0;
  /** Pushes to parked-session queues not yet stored: the log time of each message. */
  private readonly queueing = new Map<number, number>();
  private queueingSeq = 0;
  /** The latest queue push not yet stored, per client id (pushes are stored in order). */
  private readonly pushing = new Map<string, Promise<void>>();
  /** Adopted sessions whose replay is still running, by client id. */
  private readonly replaying = new Map<string, Promise<void>>();
  private readonly retained = new RetainedIndex();
  private readonly openLock = new KeyedLock();
  private readonly batcher: AppendBatcher;
  private readonly now: () => number;

  constructor(
    private readonly backbone: Backbone,
    private readonly options: BrokerOptions,
  ) {
    this.index = new SubscriptionIndex(options.matchCacheSize);
    this.membership = new SharedMembership(backbone, options.clustered ?? false);
    this.wills = new DelayedWills((will) => {
      this.publish(will).catch(() => undefined);
    });
    this.batcher = new AppendBatcher((messages) => backbone.append(messages));
    this.now = options.now ?? Date.now;
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get subscriptionCount(): number {
    return this.index.size;
  }

  async start(): Promise<void> {
    for (const topic of await this.backbone.retained.topics()) this.retained.add(topic);
    this.membership.start();
    this.backbone.onRemote((message) => this.acceptRemote(message));
    this.backbone.control.onRequest(async (command) => {
      if (command.type === 'takeover' && command.clientId) {
        await this.handOver(command.clientId, command.cleanStart ?? false);
      }
    });
  }

  /** Claims the session for a new connection, taking it over from an older one. */
  openSession(request: OpenSessionRequest): Promise<OpenSessionResult> {
    return this.openLock.run(request.clientId, () => this.doOpenSession(request));
  }

  private async doOpenSession(request: OpenSessionRequest): Promise<OpenSessionResult> {
    const { clientId } = request;
    const existing = this.sessions.get(clientId);
    if (existing?.target) await this.takeOver(existing);
    const orphanedSinceMs = await this.takeOverRemote(request);
    const claim = await this.backbone.sessions.claim(clientId, this.nodeId, this.now());
    const local = this.sessions.get(clientId);
    const previous = request.cleanStart ? undefined : claim.previous;
    // A delayed will is cancelled by resuming the session, and sent when a clean start ends it.
    if (previous) this.wills.cancel(clientId);
    else this.wills.fire(clientId);
    if (!previous) {
      if (local) this.discard(local);
      if (claim.previous) await this.backbone.queues.clear(clientId);
    }
    let session = previous ? local : undefined;
    if (!session) {
      session = new Session(clientId);
      this.sessions.set(clientId, session);
    }
    for (const sub of previous?.subscriptions ?? []) {
      if (!session.subscriptions.has(sub.filter)) {
        this.restoreSubscription(session, sub.filter, sub.options);
      }
    }
    clearTimeout(session.expiryTimer);
    session.generation = claim.generation;
    session.persistent = request.persistent;
    session.sessionExpiryMs = request.sessionExpiryMs ?? (request.persistent ? null : 0);
    session.will = request.will;
    // From here live messages reach the new connection; queued ones are older and come first.
    session.target = request.target;
    // The old owner is gone without handing over: what it had in flight lives only in the log.
    // Read it before taking the queue, so a failed read loses nothing already taken.
    const replayed =
      previous && orphanedSinceMs !== undefined
        ? ((await this.replayFor(new Set([session]), orphanedSinceMs)).get(session) ?? [])
        : [];
    const taken = previous ? await this.backbone.queues.take(clientId, this.options.maxQueuedMessages) : [];
    const queued = replayed.length > 0 ? taken.concat(replayed) : taken;
    if (session.persistent || this.options.clustered) await this.saveRecord(session, null, undefined);
    if (this.options.clustered) await this.backbone.nodes.noteOwner(this.nodeId, clientId);
    const now = this.now();
    const fresh = queued.filter((m) => !isExpired(m, now));
    this.counters.droppedExpired += queued.length - fresh.length;
    return {
      session,
      present: previous !== undefined,
      protocolState: previous?.protocolState,
      queued: fresh,
    };
  }

  /**
   * The session may live on another node (connected, or parked there). Start matching for
   * it here first, so nothing published during the handover is missed, then ask that node
   * to close its connection, save the session and stop caring for it (bounded wait).
   * Returns the old owner's replay mark when it did not hand over (dead, or not answering).
   */
  private async takeOverRemote(request: OpenSessionRequest): Promise<number | undefined> {
    const { clientId } = request;
    const stored = await this.backbone.sessions.load(clientId);
    if (!stored || stored.ownerNode === this.nodeId) return undefined;
    const live = stored.expiresAtMs === null || stored.expiresAtMs > this.now();
    if (!request.cleanStart && live && !this.sessions.has(clientId)) {
      const session = new Session(clientId);
      session.target = request.target;
      this.sessions.set(clientId, session);
      for (const sub of stored.subscriptions) {
        this.restoreSubscription(session, sub.filter, sub.options);
      }
    }
    const timeoutMs = this.options.takeoverTimeoutMs ?? 1000;
    const command = { type: 'takeover', clientId, cleanStart: request.cleanStart };
    // Wait for the answer up to the bound; a slow owner may still queue for the parked
    // session until it answers, so its late answer makes us collect the queue once more.
    // The old owner's replay mark, read now: once a survivor adopts that node, it is gone.
    const mark = this.backbone.nodes.replayFrom(stored.ownerNode).catch(() => undefined);
    const answer = this.backbone.control.request(stored.ownerNode, command, LATE_ANSWER_MS);
    if (await settlesWithin(answer, timeoutMs)) {
      const handedOver = await answer.then(
        (answered) => answered,
        () => false,
      );
      return handedOver ? undefined : mark;
    }
    // Slow: it still owns what it had in flight, and hands it back with its late answer. Only
    // if that answer never comes is the log the one place left to find those messages.
    answer
      .then(
        () => this.collectLateQueue(clientId),
        () => this.replayLate(clientId, mark),
      )
      .catch(() => undefined); // Redis away: what stays queued is collected at the next resume
    return undefined;
  }

  /** The old owner never answered a takeover: replay from its mark into the session here. */
  private async replayLate(clientId: string, mark: Promise<number | undefined>): Promise<void> {
    const session = this.sessions.get(clientId);
    const sinceMs = await mark;
    if (!session || sinceMs === undefined) return;
    const replayed = await this.replayFor(new Set([session]), sinceMs);
    await this.handReplayed(session, replayed.get(session) ?? []);
  }

  /**
   * Replayed messages go to the session's connection, or (stored before this resolves) to
   * its queue while it is parked.
   */
  private handReplayed(session: Session, messages: Message[]): Promise<void> {
    return this.openLock.run(session.clientId, async () => {
      if (this.sessions.get(session.clientId) !== session) return; // handed on meanwhile
      for (const message of messages) {
        if (session.target) session.target.deliver(message, this.deliveryFor(session, message));
        else await this.queue(session.clientId, message);
      }
    });
  }

  /** Hands what a slow old owner queued after our takeover to the session's connection. */
  private async collectLateQueue(clientId: string): Promise<void> {
    const session = this.sessions.get(clientId);
    if (!session?.target) return;
    const late = await this.backbone.queues.take(clientId, this.options.maxQueuedMessages);
    const now = this.now();
    for (const message of late) {
      if (isExpired(message, now) || !session.target) continue;
      session.target.deliver(message, this.deliveryFor(session, message));
    }
  }

  /** Another node is taking `clientId` over: close the connection here and stop caring for the session. */
  private async handOver(clientId: string, cleanStart: boolean): Promise<void> {
    // An adopted session being replayed into is handed over with what the replay queued, and
    // a parked one with every push it started: the new owner takes the queue once we answer.
    await this.replaying.get(clientId);
    await this.pushing.get(clientId);
    // A delayed will waiting here is cancelled by the resume, or due now if the session ends.
    if (cleanStart) this.wills.fire(clientId);
    else this.wills.cancel(clientId);
    const session = this.sessions.get(clientId);
    if (!session) return;
    if (session.target) await this.takeOver(session);
    // The record stays in the backbone for the new owner; only this node's copy goes.
    if (this.sessions.get(clientId) === session) this.discard(session);
  }

  private async takeOver(session: Session): Promise<void> {
    const target = session.target;
    if (!target) return;
    await settlesWithin(target.takeOver(), this.options.takeoverTimeoutMs ?? 1000);
    // A connection that did not hand back in time loses the session anyway.
    if (session.target === target) session.target = undefined;
  }

  /** The connection serving `session` ended. Parks or discards the session; handles the will. */
  async closeSession(session: Session, target: DeliveryTarget, request: CloseSessionRequest): Promise<void> {
    if (session.target !== target) {
      // Taken over already: the session lives on, so a will is due at once.
      if (request.will) this.publishWill(request.will);
      return;
    }
    session.target = undefined;
    session.will = undefined;
    const persistent = request.persistent ?? session.persistent;
    session.persistent = persistent;
    const delayMs = request.willDelayMs ?? 0;
    if (request.will) {
      if (persistent && delayMs > 0) this.wills.schedule(session.clientId, request.will, delayMs);
      else this.publishWill(request.will);
    }
    if (!persistent) {
      this.discard(session);
      await this.backbone.sessions.delete(session.clientId, session.generation);
      return;
    }
    await this.saveRecord(session, request.expiresAtMs, request.protocolState);
    if (request.expiresAtMs !== null) this.scheduleExpiry(session, request.expiresAtMs);
  }

  /** Puts a stored subscription back into the index (resume, takeover, adoption). */
  private restoreSubscription(session: Session, filter: string, options: unknown): void {
    const { newGroup } = this.index.add(session, filter, options as SubscriptionOptions);
    if (newGroup) this.membership.joined(newGroup).catch(() => undefined);
  }

  /** A will is published now: its message expiry counts from here, not from CONNECT. */
  private publishWill(will: Message): void {
    this.publish({ ...will, createdAtMs: this.now() }).catch(() => undefined);
  }

  private scheduleExpiry(session: Session, expiresAtMs: number): void {
    const generation = session.generation;
    session.expiryTimer = setTimeout(
      () => {
        if (this.sessions.get(session.clientId) !== session || !session.parked) return;
        if (session.generation !== generation) return;
        this.wills.fire(session.clientId); // the session ends: its will is due now
        this.discard(session);
        void this.backbone.sessions.delete(session.clientId, generation);
      },
      Math.max(0, expiresAtMs - this.now()),
    );
    session.expiryTimer.unref();
  }

  private saveRecord(session: Session, expiresAtMs: number | null, protocolState: unknown): Promise<boolean> {
    const record: SessionRecord = {
      clientId: session.clientId,
      ownerNode: this.nodeId,
      generation: session.generation,
      expiresAtMs,
      subscriptions: [...session.subscriptions.values()].map((s) => ({
        filter: s.filter,
        qos: s.options.qos,
        options: { ...s.options },
      })),
      protocolState,
      sessionExpiryMs: session.sessionExpiryMs,
    };
    if (session.will) record.will = session.will;
    return this.backbone.sessions.save(record);
  }

  private discard(session: Session): void {
    clearTimeout(session.expiryTimer);
    for (const key of this.index.removeAll(session)) this.membership.left(key).catch(() => undefined);
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
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
    const { existed, newGroup } = this.index.add(session, filter, options);
    if (newGroup) await this.membership.joined(newGroup);
    if (session.persistent) await this.saveRecord(session, null, undefined);
    return { existed };
  }

  async unsubscribe(session: Session, filter: string): Promise<boolean> {
    const sub = session.subscriptions.get(filter);
    if (!sub) return false;
    const emptied = this.index.remove(sub);
    if (emptied) await this.membership.left(emptied);
    if (session.persistent) await this.saveRecord(session, null, undefined);
    return true;
  }

  /** The retained messages whose topics match `filter` (a plain filter, not `$share/…`), unexpired. */
  async retainedFor(filter: string): Promise<Message[]> {
    const topics = this.retained.match(filter);
    if (topics.length === 0) return [];
    const now = this.now();
    const messages = await Promise.all(topics.map((t) => this.backbone.retained.get(t)));
    return messages.filter((m): m is Message => m !== undefined && !isExpired(m, now));
  }

  /**
   * Delivers to local subscribers now and resolves once the message is stored in the
   * backbone (and, when retained, in the retained store).
   */
  async publish(message: Message): Promise<PublishResult> {
    this.accept(message);
    const matched = this.deliverLocal(message);
    const stored = this.batcher.add(message);
    await (message.retain ? Promise.all([stored, this.backbone.retained.set(message)]) : stored);
    return { matched: this.options.clustered ? undefined : matched };
  }

  /**
   * The QoS 0 path: nothing is acknowledged, so nothing waits for the store and no promise
   * is made per message. Retained messages take `publish`: their store must be awaited.
   */
  publishUnacknowledged(message: Message): void {
    if (message.retain) {
      this.publish(message).catch(() => undefined);
      return;
    }
    this.accept(message);
    this.deliverLocal(message);
    this.batcher.push(message);
  }

  private accept(message: Message): void {
    this.counters.published++;
    // With the origin node, the sequence names the message on every node (shared groups).
    message.origin.seq ??= ++this.publishSeq;
    if (message.retain) this.noteRetained(message);
  }

  private acceptRemote(message: Message): void {
    if (message.retain) this.noteRetained(message);
    this.deliverLocal(message);
  }

  private noteRetained(message: Message): void {
    // An empty retained payload clears the topic [MQTT-3.3.1-10].
    if (message.payload.length === 0) this.retained.remove(message.topic);
    else this.retained.add(message.topic);
  }

  /** Delivers to every matching local session; returns how many sessions it went to. */
  private deliverLocal(message: Message): number {
    const entries = this.index.match(message.topic);
    if (entries.length === 0) return 0;
    if (entries.length === 1) {
      const entry = entries[0];
      const sub = isSharedGroup(entry) ? this.memberFor(entry, message) : entry;
      if (!sub || this.isOwnAndNoLocal(message, sub)) return 0;
      this.deliverTo(sub.session, message, deliveryOf(sub, message));
      return 1;
    }
    const merged = mergedDeliveries(entries, message, (entry) => {
      const sub = isSharedGroup(entry) ? this.memberFor(entry, message) : entry;
      return sub && !this.isOwnAndNoLocal(message, sub) ? sub : undefined;
    });
    for (const [session, delivery] of merged) this.deliverTo(session, message, delivery);
    return merged.size;
  }

  /** The local member of a shared group that gets `message`, if this node delivers it at all. */
  private memberFor(group: SharedGroup, message: Message): Subscription | undefined {
    return this.membership.delivers(group.key, message) ? pickMember(group) : undefined;
  }

  /** [MQTT-3.8.3-3] no-local: a client id names one client cluster-wide, wherever it published. */
  private isOwnAndNoLocal(message: Message, sub: Subscription): boolean {
    return sub.options.noLocal && message.origin.clientId === sub.session.clientId;
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
    void this.queue(session.clientId, queued);
  }

  /**
   * Pushes to a parked session's queue; until stored, the push holds the replay mark back
   * to the message's time (never later than now). Resolves once stored (or failed).
   */
  private queue(clientId: string, message: Message): Promise<void> {
    const push = ++this.queueingSeq;
    this.queueing.set(push, Math.min(this.now(), message.createdAtMs));
    const stored = this.backbone.queues.push(clientId, message, this.options.maxQueuedMessages).then(
      (result) => {
        this.queueing.delete(push);
        this.counters.droppedQueueOverflow += result.dropped;
      },
      () => {
        this.queueing.delete(push);
      },
    );
    this.pushing.set(clientId, stored);
    stored.then(() => {
      if (this.pushing.get(clientId) === stored) this.pushing.delete(clientId);
    });
    return stored;
  }

  /**
   * The log time from which a survivor must replay the log for this node's sessions if
   * this node dies now: nothing older is still only in this node's hands. Every QoS 1/2
   * message not yet acknowledged by its client or stored in a queue holds it back, and so
   * does a log reader that is behind.
   */
  replayMarkMs(): number {
    let mark = Math.min(this.now(), this.backbone.logPositionMs());
    for (const since of this.queueing.values()) if (since < mark) mark = since;
    for (const session of this.sessions.values()) {
      const oldest = session.target?.oldestUnsettledMs?.();
      if (oldest !== undefined && oldest < mark) mark = oldest;
    }
    return mark;
  }

  /**
   * Reads the log from `sinceMs` and returns, per session of `sessions`, the messages it
   * should get at QoS 1 under its own (non-shared) subscriptions, oldest first. QoS 2
   * deliveries are left out: the client may have completed them already, and exactly once
   * forbids a second copy. Shared groups are left out: another member may have had it.
   */
  private async replayFor(sessions: ReadonlySet<Session>, sinceMs: number): Promise<Map<Session, Message[]>> {
    const found = new Map<Session, Message[]>();
    const now = this.now();
    await this.backbone.replay(sinceMs - REPLAY_MARGIN_MS, (message) => {
      if (message.qos === 0 || isExpired(message, now)) return;
      const merged = mergedDeliveries(this.index.match(message.topic), message, (entry) =>
        isSharedGroup(entry) || !sessions.has(entry.session) || this.isOwnAndNoLocal(message, entry)
          ? undefined
          : entry,
      );
      for (const [session, delivery] of merged) {
        if (delivery.qos !== 1) continue;
        const list = found.get(session);
        if (list) list.push({ ...message, qos: 1 });
        else found.set(session, [{ ...message, qos: 1 }]);
      }
    });
    this.counters.replayed += [...found.values()].reduce((n, list) => n + list.length, 0);
    return found;
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
   * A node died: publish the wills of its connected clients, free its clean sessions and
   * adopt its persistent ones (parked here, queueing from now on). Called on the one
   * survivor that won the claim on the dead node.
   */
  async adoptDeadNode(deadNodeId: string): Promise<number> {
    const adopted = new Set<Session>();
    let replayed!: () => void;
    const replayDone = new Promise<void>((resolve) => {
      replayed = resolve;
    });
    for (const clientId of await this.backbone.nodes.owned(deadNodeId)) {
      await this.openLock.run(clientId, async () => {
        const record = await this.backbone.sessions.load(clientId);
        if (!record || record.ownerNode !== deadNodeId) return; // moved on already
        if (record.will) this.publishWill(record.will);
        const expiryMs = record.sessionExpiryMs === undefined ? null : record.sessionExpiryMs;
        if (expiryMs === 0) {
          await this.backbone.sessions.delete(clientId, record.generation);
          return;
        }
        const claim = await this.backbone.sessions.claim(clientId, this.nodeId, this.now());
        if (!claim.previous || this.sessions.has(clientId)) return;
        const session = new Session(clientId);
        session.generation = claim.generation;
        session.persistent = true;
        session.sessionExpiryMs = expiryMs;
        this.sessions.set(clientId, session);
        for (const sub of claim.previous.subscriptions) {
          this.restoreSubscription(session, sub.filter, sub.options);
        }
        // A parked session keeps its deadline; a connected one starts counting now.
        const expiresAtMs = record.expiresAtMs ?? (expiryMs === null ? null : this.now() + expiryMs);
        await this.saveRecord(session, expiresAtMs, claim.previous.protocolState);
        if (expiresAtMs !== null) this.scheduleExpiry(session, expiresAtMs);
        await this.backbone.nodes.noteOwner(this.nodeId, clientId);
        adopted.add(session);
        this.replaying.set(clientId, replayDone);
      });
    }
    try {
      await this.replayAdopted(deadNodeId, adopted);
    } finally {
      for (const session of adopted) {
        if (this.replaying.get(session.clientId) === replayDone) this.replaying.delete(session.clientId);
      }
      replayed();
    }
    await this.backbone.shared.forgetNode(deadNodeId);
    await this.backbone.nodes.forget(deadNodeId);
    return adopted.size;
  }

  /**
   * What the dead node had in flight to its clients, or missed while nobody served its
   * sessions, is still in the log: replay it from the node's mark into the adopted sessions.
   */
  private async replayAdopted(deadNodeId: string, adopted: ReadonlySet<Session>): Promise<void> {
    if (adopted.size === 0) return;
    const mark = await this.backbone.nodes.replayFrom(deadNodeId);
    if (mark === undefined) return;
    const replayed = await this.replayFor(adopted, mark);
    for (const [session, messages] of replayed) await this.handReplayed(session, messages);
  }

  /** Node shutdown: forget local state (persistent records stay in the backbone). */
  stop(): void {
    for (const session of this.sessions.values()) clearTimeout(session.expiryTimer);
    this.wills.stop();
    this.membership.stop();
  }
}

/** How `message` goes to one subscription: QoS = min(published, granted). */
function deliveryOf(sub: Subscription, message: Message): Delivery {
  return { qos: Math.min(message.qos, sub.options.qos) as QoS, via: sub.alone };
}

/**
 * One delivery per session over the subscription `select` picks from each matching index
 * entry: overlapping subscriptions of a session give one copy at the highest granted QoS,
 * with every subscription identifier [MQTT-3.3.5-1].
 */
function mergedDeliveries(
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
