// Shared subscriptions across nodes: every node sees every message, so the nodes with
// members of a group must agree on the one that delivers it. Each node registers the
// groups it has members in; all nodes keep the sorted member-node list per group, re-read
// as soon as a change is announced (and every second, in case an announcement was missed),
// and pick the same node per message by rendezvous hashing of the message's cluster-wide
// name (origin node + sequence), which spreads messages evenly and keeps every message
// but a departed node's where it was. On one node (memory
// backbone) every group is delivered locally. A failed re-read keeps the view it had and
// is retried with the next second's.
// A node that stops gracefully leaves its groups first (leaveAll); a node that has missed
// its heartbeats for `suspectAfterMs` is left out of every view, so the others deliver its
// share long before it is declared dead (redis.nodeDeadAfterMs) — a message is delivered
// twice rather than to nobody should a slow node come back (docs/invariants.md).
import type { Backbone } from '@edgemq/backbone';
import type { Message } from '@edgemq/model';
import type { CoreLogger } from './core-logger.js';

const REFRESH_MS = 1000;
/** Default for `suspectAfterMs`: three missed heartbeats at the default 1 s. */
const SUSPECT_AFTER_MS = 3000;

export class SharedMembership {
  private readonly views = new Map<string, readonly string[]>();
  private timer?: NodeJS.Timeout;
  /** The periodic re-read is failing (logged once until it succeeds again). */
  private failing = false;
  /** Nodes silent for `suspectAfterMs`, as of the last re-read: left out of every view. */
  private suspects: ReadonlySet<string> = new Set();
  /**
   * Told when a node becomes a suspect, with the group views from before: what the views
   * gave that node since its replay mark never reached anyone (shared-recovery.ts).
   */
  onSuspect?: (node: string, viewsBefore: ReadonlyMap<string, readonly string[]>) => void;

  constructor(
    private readonly backbone: Backbone,
    private readonly clustered: boolean,
    private readonly log: CoreLogger,
    private readonly suspectAfterMs = SUSPECT_AFTER_MS,
  ) {}

  start(): void {
    if (!this.clustered) return;
    this.backbone.shared.onChange((key) => {
      if (!this.views.has(key)) return;
      this.refresh(key).catch((error: unknown) => {
        this.log.warn(
          { filter: sharedFilterOf(key), err: error },
          'shared group change not read: the group view is retried within a second',
        );
      });
    });
    this.timer = setInterval(() => {
      this.refreshAll().then(
        () => {
          if (!this.failing) return;
          this.failing = false;
          this.log.info({}, 'shared group views re-read again');
        },
        (error: unknown) => {
          if (this.failing) return;
          this.failing = true;
          this.log.warn({ err: error }, 'shared group views not re-read: retrying every second');
        },
      );
    }, REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * The registry lost its data: re-read every group this node has members in now, not at
   * the next second; refresh registers this node again where the registry lacks it.
   */
  async rejoinAll(): Promise<void> {
    if (!this.clustered) return;
    for (const key of [...this.views.keys()]) await this.refresh(key);
  }

  /** Graceful stop: this node's members are going, so the group's messages go to the others. */
  async leaveAll(): Promise<void> {
    if (!this.clustered) return;
    this.views.clear();
    await this.backbone.shared.forgetNode(this.backbone.nodeId);
  }

  /** This node got its first member of group `key`. */
  async joined(key: string): Promise<void> {
    if (!this.clustered) return;
    this.views.set(key, [this.backbone.nodeId]);
    await this.backbone.shared.setMember(key, this.backbone.nodeId, true);
    await this.refresh(key);
  }

  /** This node lost its last member of group `key`. */
  async left(key: string): Promise<void> {
    if (!this.clustered) return;
    this.views.delete(key);
    await this.backbone.shared.setMember(key, this.backbone.nodeId, false);
  }

  /** True when this node is the one to deliver `message` to group `key`. */
  delivers(key: string, message: Message): boolean {
    const nodes = this.views.get(key);
    if (!this.clustered || !nodes || nodes.length <= 1) return true;
    return chosenNode(nodes, message) === this.backbone.nodeId;
  }

  private async refreshAll(): Promise<void> {
    if (this.views.size === 0) return;
    const self = this.backbone.nodeId;
    const silent = await this.backbone.nodes.silentSince(Date.now() - this.suspectAfterMs);
    const previous = this.suspects;
    // When this node's own heartbeat is stale too, Redis was away: silence proves nothing.
    this.suspects = silent.includes(self) ? new Set() : new Set(silent);
    const viewsBefore = new Map(this.views);
    const fresh = [...this.suspects].filter((node) => !previous.has(node));
    for (const key of [...this.views.keys()]) await this.refresh(key);
    for (const node of fresh) this.onSuspect?.(node, viewsBefore);
  }

  private async refresh(key: string): Promise<void> {
    const nodes = await this.backbone.shared.memberNodes(key);
    if (!this.views.has(key)) return; // left meanwhile
    // This node has members: it is in the list even if the registry lags.
    const self = this.backbone.nodeId;
    // Taken out as a suspect by others (or lost with Redis's data), yet here with members:
    // register again, so the others count on this node once more.
    if (!nodes.includes(self)) await this.backbone.shared.setMember(key, self, true);
    if (!this.views.has(key)) return;
    const live = this.suspects.size === 0 ? nodes : nodes.filter((node) => !this.suspects.has(node));
    this.views.set(key, live.includes(self) ? live : [...live, self].sort());
  }
}

/**
 * The node of `nodes` (a group's member nodes) that delivers `message`: rendezvous
 * hashing, the node with the highest score for the message's cluster-wide name. Unlike a
 * hash modulo the list's length, taking a node out moves only that node's messages, so two
 * nodes whose views differ only by a suspect still agree on every other message (a modulo
 * reshuffled about half of them, and those were lost while the views disagreed).
 */
export function chosenNode(nodes: readonly string[], message: Message): string {
  const name = hash(`${message.origin.nodeId}\u0000${message.origin.seq ?? message.createdAtMs}`);
  let chosen = nodes[0];
  let best = -1;
  for (const node of nodes) {
    const score = mix(name ^ nodeHash(node));
    if (score > best || (score === best && node < chosen)) {
      best = score;
      chosen = node;
    }
  }
  return chosen;
}

const nodeHashes = new Map<string, number>();
function nodeHash(node: string): number {
  let h = nodeHashes.get(node);
  if (h === undefined) {
    h = hash(node);
    if (nodeHashes.size > 10_000) nodeHashes.clear(); // node ids of a long-lived cluster
    nodeHashes.set(node, h);
  }
  return h;
}

/** MurmurHash3's finaliser: spreads the bits of a combined hash evenly. */
function mix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A group key as the `$share/{group}/{filter}` a client wrote, for logs. */
export function sharedFilterOf(key: string): string {
  return `$share/${key.replace('\u0000', '/')}`;
}

/** FNV-1a, 32 bit: the same number on every node for the same string. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
