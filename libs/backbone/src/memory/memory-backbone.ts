// The in-process backbone: the embedded default for a single node with no Redis. On its own
// hub it keeps no log (nobody else reads it) and its `onRemote` handlers are never called.
// Several instances given one MemoryHub act as several nodes on one Redis: an append on one
// reaches the `onRemote` handlers of every other started instance, and sessions, queues and
// retained messages are shared. See failures.ts for failure injection (`backbone.failures`).

import { randomBytes } from 'node:crypto';
import type { Message } from '@edgemq/model';
import type { Backbone, RemoteMessageHandler } from '../backbone.js';
import { RemoteHandlers } from '../remote-handlers.js';
import { createFailureSwitches, type FailureSwitches, injectedFailure } from './failures.js';
import { MemoryControl } from './memory-control.js';
import { MemoryHub } from './memory-hub.js';
import type { MemoryLogMember } from './memory-log.js';
import { MemoryNodes } from './memory-nodes.js';
import { MemoryQueues } from './memory-queues.js';
import { MemoryRetained } from './memory-retained.js';
import { MemorySessions } from './memory-sessions.js';
import { MemoryShared } from './memory-shared.js';

export type { FailureSwitches } from './failures.js';
export { MemoryHub } from './memory-hub.js';
export { MemoryLog, type MemoryLogMember } from './memory-log.js';

export interface MemoryBackboneOptions {
  /** This node's id; random when omitted. */
  nodeId?: string;
  /** Shared state of a cluster; share one hub between instances to simulate several nodes. */
  hub?: MemoryHub;
  /** Called when an `onRemote` handler throws; defaults to console.error. */
  onHandlerError?: (error: unknown, message: Message) => void;
}

export class MemoryBackbone implements Backbone {
  readonly kind = 'memory';
  readonly nodeId: string;
  readonly hub: MemoryHub;
  /** Failure-injection switches (see failures.ts). */
  readonly failures: FailureSwitches = createFailureSwitches();
  readonly retained: MemoryRetained;
  readonly sessions: MemorySessions;
  readonly queues: MemoryQueues;
  readonly control: MemoryControl;
  readonly nodes: MemoryNodes;
  readonly shared: MemoryShared;

  readonly #member: MemoryLogMember = { deliver: (message) => this.#handlers.dispatch(message) };
  readonly #handlers: RemoteHandlers;
  #started = false;

  constructor(options: MemoryBackboneOptions = {}) {
    this.nodeId = options.nodeId ?? `memory-${randomBytes(4).toString('hex')}`;
    this.hub = options.hub ?? new MemoryHub();
    this.#handlers = new RemoteHandlers(
      options.onHandlerError ??
        ((error) => console.error(`[backbone:memory ${this.nodeId}] onRemote handler threw`, error)),
    );
    this.retained = new MemoryRetained(this.hub, this.failures);
    this.sessions = new MemorySessions(this.hub, this.failures);
    this.queues = new MemoryQueues(this.hub, this.failures);
    this.control = new MemoryControl(this.hub, this.nodeId);
    this.nodes = new MemoryNodes(this.hub);
    this.shared = new MemoryShared(this.hub);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.hub.log.join(this.#member);
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.hub.log.leave(this.#member);
    this.control.leave();
  }

  isReady(): boolean {
    return this.#started && this.failures.ready;
  }

  async append(messages: Message[]): Promise<void> {
    if (this.failures.append) throw injectedFailure('append');
    this.hub.log.append(this.#member, messages);
  }

  onRemote(handler: RemoteMessageHandler): void {
    this.#handlers.add(handler);
  }

  /** An in-process store is never lost while its node runs. */
  onDataLost(_handler: () => void): void {}

  /** Entries reach other members on a microtask, so by any timer's turn they are all handed over. */
  logPositionMs(): number {
    return Date.now();
  }

  async replay(sinceMs: number, handle: (message: Message) => void): Promise<void> {
    if (this.failures.replay) throw injectedFailure('replay');
    for (const message of this.hub.log.since(sinceMs)) handle(message);
  }
}
