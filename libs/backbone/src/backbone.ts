// The Backbone is everything a node shares with other nodes: the fan-out log, retained
// messages, persistent session records and the queues of parked sessions. Two
// implementations (memory, Redis) are held to one contract suite (test/contract.ts);
// nothing above this interface knows which one runs. Every method is async.

import type { Message, QoS } from '@edgemq/model';

export interface SubscriptionRecord {
  filter: string;
  qos: QoS;
  /** Protocol options that travel with the subscription (MQTT 5 no-local etc.). */
  options?: Record<string, unknown>;
}

/** What survives a persistent session's disconnect. */
export interface SessionRecord {
  clientId: string;
  /** Node that owns (or last owned) the session. */
  ownerNode: string;
  /**
   * Set by every claim to a number no claim of this client had before (not necessarily
   * the previous one plus one); saves and deletes must carry the record's current one.
   */
  generation: number;
  /** Epoch ms after which the session may be discarded; null means never. */
  expiresAtMs: number | null;
  subscriptions: SubscriptionRecord[];
  /** Protocol-owned state (MQTT: packet ids in flight); opaque to the backbone. */
  protocolState?: unknown;
  /** The will of the connected client, published by a survivor if its node dies. */
  will?: Message;
  /** How long the session outlives its connection: 0 ends with it, null never expires. */
  sessionExpiryMs?: number | null;
}

export interface ClaimResult {
  generation: number;
  /** The record as it stood before the claim, if there was one and it had not expired. */
  previous?: SessionRecord;
}

export interface SessionStore {
  /**
   * Atomically take ownership of `clientId` for `nodeId` with a new, higher generation.
   * With no live record, any queue left for the client is dropped too.
   */
  claim(clientId: string, nodeId: string, nowMs: number): Promise<ClaimResult>;
  load(clientId: string): Promise<SessionRecord | undefined>;
  /**
   * Stores `record` if its generation is the stored record's: false when a later claim
   * replaced it, or when it was deleted or expired (a session that ended stays ended).
   */
  save(record: SessionRecord): Promise<boolean>;
  /**
   * Deletes the record and its queue, leaving nothing of the client behind, if
   * `generation` is the record's; false otherwise. The client leaves its owner's list.
   */
  delete(clientId: string, generation: number): Promise<boolean>;
}

export interface QueuePushResult {
  length: number;
  /** Oldest messages dropped to keep the queue within its bound. */
  dropped: number;
}

/** What a queue at its bound gives up: its oldest message, or the one being pushed. */
export type QueueOverflow = 'dropOldest' | 'dropNewest';

/** Capped FIFO of QoS>0 messages kept for a parked session. */
export interface QueueStore {
  /**
   * Appends to `clientId`'s queue. Past `maxLength` the queue drops its oldest messages
   * ('dropOldest', the default) or refuses this one ('dropNewest'); `dropped` says how many.
   */
  push(
    clientId: string,
    message: Message,
    maxLength: number,
    overflow?: QueueOverflow,
  ): Promise<QueuePushResult>;
  /** Removes and returns up to `max` messages, oldest first. */
  take(clientId: string, max: number): Promise<Message[]>;
  length(clientId: string): Promise<number>;
  clear(clientId: string): Promise<void>;
}

export interface RetainedStore {
  /** Stores the message as the retained one for its topic; an empty payload clears it. */
  set(message: Message): Promise<void>;
  get(topic: string): Promise<Message | undefined>;
  /** Every topic that currently has a retained message. */
  topics(): Promise<string[]>;
}

export type RemoteMessageHandler = (message: Message) => void;

/** A node-to-node request, e.g. `{ type: 'takeover', clientId }`. */
export interface ControlCommand {
  type: string;
  clientId?: string;
  /** takeover: the new connection starts clean (the old session ends). */
  cleanStart?: boolean;
}

export type ControlHandler = (command: ControlCommand, fromNode: string) => Promise<void>;

/** Requests between nodes (session takeover). */
export interface ControlChannel {
  /**
   * Asks `nodeId` to carry out `command`; resolves true once it did, or false at once when
   * no such node is listening. Rejects when it does not answer within `timeoutMs`.
   */
  request(nodeId: string, command: ControlCommand, timeoutMs: number): Promise<boolean>;
  /** The handler for requests addressed to this node (one per node). */
  onRequest(handler: ControlHandler): void;
}

/**
 * Which nodes are alive, and which sessions each one owns, so that a survivor can take
 * care of a dead node's clients. Heartbeats are wall-clock ms.
 */
export interface NodeRegistry {
  /**
   * Records that `nodeId` is alive at `nowMs`, and its replay mark: the log time from which
   * a survivor must replay the log for its sessions if it dies now (see Backbone.replay).
   */
  heartbeat(nodeId: string, nowMs: number, replayFromMs?: number): Promise<void>;
  /** The replay mark `nodeId` last recorded, until it is forgotten. */
  replayFrom(nodeId: string): Promise<number | undefined>;
  /** Nodes whose last heartbeat is older than `beforeMs`. */
  silentSince(beforeMs: number): Promise<string[]>;
  /** Takes responsibility for a silent node; true for exactly one caller. */
  claimDead(nodeId: string, beforeMs: number): Promise<boolean>;
  /**
   * Lists `clientId` as `nodeId`'s while `nodeId` owns its record (a no-op once another
   * node claimed it). A claim by another node, or the record's delete, takes it off again.
   */
  noteOwner(nodeId: string, clientId: string): Promise<void>;
  /** Client ids `nodeId` noted as its own (some may have moved on since). */
  owned(nodeId: string): Promise<string[]>;
  /** Drops a node's heartbeat and owned list (graceful stop, or after adoption). */
  forget(nodeId: string): Promise<void>;
}

/**
 * Which nodes have members of each shared subscription group, so every node can agree on
 * the one node that delivers a given message to the group. Group keys are opaque strings.
 */
export interface SharedRegistry {
  /** Records that `nodeId` has (or no longer has) members of group `key`. */
  setMember(key: string, nodeId: string, member: boolean): Promise<void>;
  /** Nodes with members of group `key`, sorted. */
  memberNodes(key: string): Promise<string[]>;
  /** Removes a (dead) node from every group. */
  forgetNode(nodeId: string): Promise<void>;
  /**
   * Calls `handler` on every node, this one included, soon after any node changed the
   * membership of group `key`: a prompt to re-read it, not a guarantee (a node that was
   * disconnected meanwhile misses it, so readers keep polling too).
   */
  onChange(handler: (key: string) => void): void;
}

export interface Backbone {
  readonly kind: string;
  readonly nodeId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** False while the shared store cannot be reached. */
  isReady(): boolean;
  /**
   * Appends messages to the fan-out log. Resolves once they are stored
   * ("acknowledged means stored"). A node delivers its own messages locally itself;
   * the handler given to `onRemote` sees only other nodes' messages. Rejects when any
   * is not stored; with a PartialAppendError when some of them are (they reach readers).
   */
  append(messages: Message[]): Promise<void>;
  onRemote(handler: RemoteMessageHandler): void;
  /**
   * `handler` runs when the shared store is found to have lost its data since this node
   * started (Redis restarted empty or was flushed): sessions, queues, retained messages,
   * group memberships and log entries stored before are gone. Never on the memory backbone.
   */
  onDataLost(handler: () => void): void;
  /**
   * The log time up to which every other node's entry has been handed to the `onRemote`
   * handlers (in this node's clock; a read that is behind or failing holds it back).
   */
  logPositionMs(): number;
  /**
   * Hands `handle` every message still in the log that was appended at or after `sinceMs`
   * (log time, ms), from every node this one included, in append order per shard. What the
   * log has trimmed is gone: replay reaches back only as far as the log does.
   */
  replay(sinceMs: number, handle: (message: Message) => void): Promise<void>;
  readonly retained: RetainedStore;
  readonly sessions: SessionStore;
  readonly queues: QueueStore;
  readonly control: ControlChannel;
  readonly nodes: NodeRegistry;
  readonly shared: SharedRegistry;
}

/**
 * An append that stored some of its messages and not the others (the log is sharded, one
 * write per shard): what is in `stored` reaches other nodes, the rest does not.
 */
export class PartialAppendError extends Error {
  constructor(
    readonly stored: ReadonlySet<Message>,
    override readonly cause: unknown,
  ) {
    super(`log append stored ${stored.size} message(s) and failed for the rest: ${String(cause)}`);
    this.name = 'PartialAppendError';
  }
}

/** Whether `message` of a rejected append is in the log all the same. */
export function storedDespite(error: unknown, message: Message): boolean {
  return error instanceof PartialAppendError && error.stored.has(message);
}
