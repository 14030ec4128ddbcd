// Messages on their way to one client: packet-id allocation, the in-flight window of
// unacknowledged QoS 1/2 PUBLISHes, the queue of those waiting for room, and the QoS 0
// drop rule when the socket is congested. Survives a disconnect as OutboundState.
// The queue bound (mqtt.maxQueuedMessages, with its overflow policy) counts live arrivals
// only: a message recovered for the session (re-sent, taken from its parked queue, replayed
// from the log after a node death) was admitted once already, and dropping it would lose an
// acknowledged message the cluster still holds (docs/invariants.md).
import type { Counters, Message, QoS, QueueOverflow } from '@edgemq/core';

export interface OutboundMessage {
  message: Message;
  qos: QoS;
  retain: boolean;
  subscriptionIds: readonly number[];
  /** Recovered for this session (queue, replay, resume), not a live arrival: outside the bound. */
  recovered?: boolean;
  /**
   * When this node took charge of delivering it (wall-clock ms): until it completes, the
   * node's replay mark stays at or before this time (see Broker.replayMarkMs).
   */
  sinceMs?: number;
}

interface InflightEntry extends OutboundMessage {
  packetId: number;
  /** 'publish': awaiting PUBACK/PUBREC; 'pubrel': PUBREL sent, awaiting PUBCOMP. */
  phase: 'publish' | 'pubrel';
}

/** What a persistent session keeps of its outbound flow while disconnected. */
export interface OutboundState {
  inflight: InflightEntry[];
  pending: OutboundMessage[];
  /** Names of the messages most recently completed (see messageKey), oldest first. */
  recent?: string[];
}

/** How many completed message names a session remembers, to drop re-deliveries on resume. */
const RECENT_LIMIT = 1000;

/** The cluster-wide name of a message (origin node + sequence), when it has one. */
export function messageKey(entry: OutboundMessage): string | undefined {
  const { origin } = entry.message;
  return origin.seq === undefined ? undefined : `${origin.nodeId}\u0000${origin.seq}`;
}

/** 'dropped': not sent at all (expired, or larger than the client accepts). */
export type SendResult = 'ok' | 'congested' | 'dropped';

export interface OutboundSink {
  sendPublish(entry: OutboundMessage, packetId: number | undefined, dup: boolean): SendResult;
  /** Returns false when the socket is congested. */
  sendPubrel(packetId: number): boolean;
}

export interface OutboundOptions {
  maxInflight: number;
  /** Live messages waiting, at most (recovered ones are not counted). */
  maxQueued: number;
  /** What the queue gives up when full: its oldest live message, or the one arriving. */
  overflow: QueueOverflow;
}

export class Outbound {
  private readonly inflight = new Map<number, InflightEntry>();
  /** Waiting for room, oldest first, from index `head` on (sent ones are skipped, not spliced). */
  private pending: OutboundMessage[] = [];
  private head = 0;
  /** How many entries of `pending` (from `head` on) are live arrivals, not recovered. */
  private livePending = 0;
  /** Messages this flow dropped because its queue was full (for the session's own count). */
  droppedOverflow = 0;
  /** The oldest `sinceMs` that entered `pending` since it was last empty. */
  private pendingSinceMs = Number.POSITIVE_INFINITY;
  private nextPacketId = 1;
  private recent: string[] = [];
  private congested = false;
  /** False until CONNACK is out: deliveries wait in `pending`. */
  private open = false;

  constructor(
    private readonly sink: OutboundSink,
    private options: OutboundOptions,
    private readonly counters: Counters,
  ) {}

  get inflightCount(): number {
    return this.inflight.size;
  }

  get pendingCount(): number {
    return this.pending.length - this.head;
  }

  send(entry: OutboundMessage): void {
    if (entry.qos === 0) {
      // QoS 0 is never queued: a congested or not-yet-open connection drops it.
      if (this.congested || !this.open) {
        this.counters.droppedQos0Backpressure++;
        return;
      }
      if (this.sink.sendPublish(entry, undefined, false) === 'congested') this.congested = true;
      return;
    }
    entry.sinceMs ??= logTimeOf(entry);
    if (!this.hasRoom() || this.pendingCount > 0) {
      this.enqueue(entry);
      return;
    }
    this.transmit(entry);
  }

  /** Puts older messages (queued while offline) ahead of anything waiting now. */
  prepend(entries: OutboundMessage[]): void {
    if (entries.length === 0) return;
    // Taken out of a queue, these now live only here and in the log, from their creation on.
    for (const entry of entries) {
      entry.recovered = true;
      this.stamp(entry);
    }
    this.pending = entries.concat(this.waiting());
    this.head = 0;
  }

  /** CONNACK is out: re-send what was in flight (DUP) [MQTT-4.4.0-1], then flow. */
  start(state: OutboundState | undefined): void {
    for (const entry of state?.inflight ?? []) {
      this.inflight.set(entry.packetId, entry);
      this.nextPacketId = nextId(entry.packetId);
    }
    this.recent = state?.recent ?? [];
    if (state) {
      for (const entry of state.pending) {
        entry.recovered = true; // admitted by the connection before: not counted again
        this.stamp(entry);
      }
      for (const entry of state.inflight) entry.sinceMs ??= logTimeOf(entry);
      this.pending = state.pending.concat(this.waiting());
      this.head = 0;
    }
    this.dropRepeats();
    this.open = true;
    for (const entry of [...this.inflight.values()]) {
      if (entry.phase === 'pubrel') {
        if (!this.sink.sendPubrel(entry.packetId)) this.congested = true;
        continue;
      }
      this.settle(this.sink.sendPublish(entry, entry.packetId, true), entry.packetId);
    }
    this.pump();
  }

  drained(): void {
    this.congested = false;
    this.pump();
  }

  /** PUBACK (QoS 1) or PUBCOMP (QoS 2): the message is done. False for an unknown id. */
  complete(packetId: number): boolean {
    const entry = this.inflight.get(packetId);
    if (!entry) return false;
    this.inflight.delete(packetId);
    const key = messageKey(entry);
    if (key !== undefined) {
      this.recent.push(key);
      // Trimmed in halves, not per completion: splice(0, 1) on a full list moves 1000 entries.
      if (this.recent.length >= 2 * RECENT_LIMIT) this.recent = this.recent.slice(-RECENT_LIMIT);
    }
    this.pump();
    return true;
  }

  /** PUBREC: the client has the QoS 2 message; answer PUBREL. */
  received(packetId: number): boolean {
    const entry = this.inflight.get(packetId);
    if (entry?.qos !== 2) return false;
    entry.phase = 'pubrel';
    if (!this.sink.sendPubrel(packetId)) this.congested = true;
    return true;
  }

  /** The oldest `sinceMs` of any unfinished QoS 1/2 message (never later than the truth). */
  oldestUnsettledMs(): number | undefined {
    let oldest = this.pendingCount > 0 ? this.pendingSinceMs : undefined;
    for (const entry of this.inflight.values()) {
      if (entry.sinceMs !== undefined && (oldest === undefined || entry.sinceMs < oldest))
        oldest = entry.sinceMs;
    }
    return oldest;
  }

  snapshot(): OutboundState {
    return {
      inflight: [...this.inflight.values()],
      pending: this.waiting(),
      recent: this.recent.slice(-RECENT_LIMIT),
    };
  }

  /** MQTT 5: the client's Receive Maximum narrows the window [MQTT-3.3.4-9]. */
  limitInflight(maximum: number): void {
    this.options = { ...this.options, maxInflight: Math.min(this.options.maxInflight, maximum) };
  }

  /**
   * A resumed session can hold one message twice: a copy the old connection had in
   * flight, pending or completed, and a copy queued or matched live while the session
   * moved. Keep the first of each name; drop what was already completed.
   */
  private dropRepeats(): void {
    const seen = new Set(this.recent);
    for (const entry of this.inflight.values()) {
      const key = messageKey(entry);
      if (key !== undefined) seen.add(key);
    }
    const waiting = this.waiting();
    this.head = 0;
    this.pending = waiting.filter((entry) => {
      const key = messageKey(entry);
      if (key === undefined) return true;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    this.livePending = this.pending.reduce((n, entry) => (entry.recovered === true ? n : n + 1), 0);
  }

  private hasRoom(): boolean {
    return this.open && !this.congested && this.inflight.size < this.options.maxInflight;
  }

  private pump(): void {
    while (this.head < this.pending.length && this.hasRoom()) {
      const entry = this.pending[this.head++];
      if (entry.recovered !== true) this.livePending--;
      this.transmit(entry);
    }
    this.compact();
  }

  /** The messages still waiting, as a fresh array. */
  private waiting(): OutboundMessage[] {
    return this.head === 0 ? this.pending.slice() : this.pending.slice(this.head);
  }

  /** Drops the skipped prefix once it is most of the array (amortised O(1) per message). */
  private compact(): void {
    if (this.head === 0) return;
    if (this.head === this.pending.length) {
      this.pending = [];
      this.head = 0;
      this.pendingSinceMs = Number.POSITIVE_INFINITY;
    } else if (this.head * 2 >= this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  private transmit(entry: OutboundMessage): void {
    const packetId = this.allocatePacketId();
    // Fields listed, not spread: this runs once per QoS 1/2 delivery.
    this.inflight.set(packetId, {
      message: entry.message,
      qos: entry.qos,
      retain: entry.retain,
      subscriptionIds: entry.subscriptionIds,
      sinceMs: entry.sinceMs,
      packetId,
      phase: 'publish',
    });
    this.settle(this.sink.sendPublish(entry, packetId, false), packetId);
  }

  /** An in-flight PUBLISH the sink dropped (expired, too large) frees its slot. */
  private settle(result: SendResult, packetId: number): void {
    if (result === 'dropped') this.inflight.delete(packetId);
    else if (result === 'congested') this.congested = true;
  }

  private enqueue(entry: OutboundMessage): void {
    if (entry.recovered !== true) {
      if (this.livePending >= this.options.maxQueued) {
        if (this.options.overflow === 'dropNewest') {
          this.dropped();
          return;
        }
        this.dropOldestLive();
      }
      this.livePending++;
    }
    this.pending.push(entry);
    this.notePending(entry.sinceMs);
  }

  /** Full under 'dropOldest': the oldest live message waiting goes (recovered ones stay). */
  private dropOldestLive(): void {
    for (let i = this.head; i < this.pending.length; i++) {
      if (this.pending[i].recovered === true) continue;
      if (i === this.head) this.head++;
      else this.pending.splice(i, 1);
      this.livePending--;
      this.dropped();
      this.compact();
      return;
    }
  }

  private dropped(): void {
    this.droppedOverflow++;
    this.counters.droppedQueueOverflow++;
  }

  /** Gives a message about to wait in `pending` its log time, if it has none yet. */
  private stamp(entry: OutboundMessage): void {
    entry.sinceMs ??= logTimeOf(entry);
    this.notePending(entry.sinceMs);
  }

  private notePending(sinceMs: number | undefined): void {
    if (sinceMs !== undefined && sinceMs < this.pendingSinceMs) this.pendingSinceMs = sinceMs;
  }

  private allocatePacketId(): number {
    // The window is far below 65535, so a free id is always found.
    while (this.inflight.has(this.nextPacketId)) this.nextPacketId = nextId(this.nextPacketId);
    const id = this.nextPacketId;
    this.nextPacketId = nextId(id);
    return id;
  }
}

/**
 * When a message entered the log, as far as this node can tell: its creation time, which
 * precedes its append (and never later than now, should the publishing node's clock run
 * ahead). Replaying from there finds it again.
 */
function logTimeOf(entry: OutboundMessage): number {
  return Math.min(Date.now(), entry.message.createdAtMs);
}

const nextId = (id: number) => (id >= 65535 ? 1 : id + 1);
