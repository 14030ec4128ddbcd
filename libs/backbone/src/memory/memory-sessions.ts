// Session records on a MemoryHub. Every operation runs without awaiting, so each one is
// atomic with respect to the others: the in-process equivalent of the Redis Lua claim.
//
// Generations: `claim` gives the record the next number of the hub's one counter (shared
// by all clients) and makes the claiming node the owner. `save` and `delete` succeed only
// with the record's current generation: a later claim, or the session's end, has fenced
// their caller off. Since no generation repeats, nothing has to outlive a deleted record.
// The owners' lists follow the records: a claim takes the client off the previous owner's,
// a delete off the deleted record's owner's.

import type { ClaimResult, SessionRecord, SessionStore } from '../backbone.js';
import { copySessionRecord } from './copy.js';
import { type FailureSwitches, injectedFailure } from './failures.js';
import type { MemoryHub } from './memory-hub.js';

export class MemorySessions implements SessionStore {
  readonly #hub: MemoryHub;
  readonly #failures: FailureSwitches;

  constructor(hub: MemoryHub, failures: FailureSwitches) {
    this.#hub = hub;
    this.#failures = failures;
  }

  async claim(clientId: string, nodeId: string, nowMs: number): Promise<ClaimResult> {
    if (this.#failures.sessions) throw injectedFailure('sessions.claim');
    const hub = this.#hub;
    const found = hub.sessions.get(clientId);
    let current = found;
    if (current !== undefined && current.expiresAtMs !== null && current.expiresAtMs <= nowMs) {
      current = undefined; // expired: the session is gone
    }
    // A new session never starts with messages queued for an earlier one.
    if (current === undefined) hub.queues.delete(clientId);
    if (found !== undefined && found.ownerNode !== nodeId) this.#disown(found.ownerNode, clientId);
    const generation = ++hub.lastGeneration;
    const claimed: SessionRecord =
      current === undefined
        ? { clientId, ownerNode: nodeId, generation, expiresAtMs: null, subscriptions: [] }
        : { ...copySessionRecord(current), ownerNode: nodeId, generation };
    hub.sessions.set(clientId, claimed);
    return current === undefined ? { generation } : { generation, previous: copySessionRecord(current) };
  }

  async load(clientId: string): Promise<SessionRecord | undefined> {
    if (this.#failures.sessions) throw injectedFailure('sessions.load');
    const record = this.#hub.sessions.get(clientId);
    return record === undefined ? undefined : copySessionRecord(record);
  }

  async save(record: SessionRecord): Promise<boolean> {
    if (this.#failures.sessions) throw injectedFailure('sessions.save');
    if (!this.#holds(record.clientId, record.generation)) return false;
    this.#hub.sessions.set(record.clientId, copySessionRecord(record));
    return true;
  }

  async delete(clientId: string, generation: number): Promise<boolean> {
    if (this.#failures.sessions) throw injectedFailure('sessions.delete');
    const record = this.#hub.sessions.get(clientId);
    if (record === undefined || !this.#holds(clientId, generation)) return false;
    this.#hub.sessions.delete(clientId);
    this.#hub.queues.delete(clientId);
    this.#disown(record.ownerNode, clientId);
    return true;
  }

  /** Whether `generation` is the current one of `clientId`'s record. */
  #holds(clientId: string, generation: number): boolean {
    return this.#hub.sessions.get(clientId)?.generation === generation;
  }

  #disown(nodeId: string, clientId: string): void {
    const owned = this.#hub.owned.get(nodeId);
    owned?.delete(clientId);
    if (owned?.size === 0) this.#hub.owned.delete(nodeId);
  }
}
