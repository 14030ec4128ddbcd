// The state that nodes of one cluster share: log readers, session records, parked-session
// queues and retained messages. It stands for one Redis. Each MemoryBackbone makes its own
// hub unless given one; several backbones on one hub behave like several nodes on one
// Redis, which is how the contract suite tests cross-node behaviour in one process.
//
// Only the memory stores touch these maps. Every value in them is a private copy.

import type { Message } from '@edgemq/model';
import type { ControlHandler, SessionRecord } from '../backbone.js';
import { MemoryLog } from './memory-log.js';

export class MemoryHub {
  readonly log = new MemoryLog();
  /** Session records by client id. */
  readonly sessions = new Map<string, SessionRecord>();
  /**
   * The last generation any claim got: one counter for every client, so generations never
   * repeat and nothing per client has to outlive its record to fence a stale owner off.
   */
  lastGeneration = 0;
  /** Parked-session queues by client id, oldest first; absent when empty. */
  readonly queues = new Map<string, Message[]>();
  /** Request handlers of the nodes on this hub, by node id. */
  readonly controlHandlers = new Map<string, ControlHandler>();
  /** Last heartbeat per node id (ms). */
  readonly heartbeats = new Map<string, number>();
  /** Replay mark per node id (ms), as of its last heartbeat. */
  readonly replayMarks = new Map<string, number>();
  /** Client ids each node owns (noted, and not yet claimed elsewhere or deleted). */
  readonly owned = new Map<string, Set<string>>();
  /** Node ids with members, per shared subscription group key. */
  readonly sharedGroups = new Map<string, Set<string>>();
  /** Who is told about shared-group membership changes. */
  readonly sharedWatchers = new Set<(key: string) => void>();
  /** Retained messages by topic. */
  readonly retained = new Map<string, Message>();
}
