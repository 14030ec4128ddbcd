// Session records on a MemoryHub. Every operation runs without awaiting, so each one is
// atomic with respect to the others: the in-process equivalent of the Redis Lua claim.
//
// Generations: `claim` sets the generation to one above the latest ever claimed for the
// client (1 for the first) and makes the claiming node the owner. `save` and `delete` with
// a generation below the latest are refused: a later claim has fenced their caller off.

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
    let current = hub.sessions.get(clientId);
    if (current !== undefined && current.expiresAtMs !== null && current.expiresAtMs <= nowMs) {
      // Expired: the session is gone, and so is everything queued for it.
      hub.sessions.delete(clientId);
      hub.queues.delete(clientId);
      current = undefined;
    }
    const generation = this.#latestGeneration(clientId) + 1;
    hub.generations.set(clientId, generation);
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
    const latest = this.#latestGeneration(record.clientId);
    if (record.generation < latest) return false;
    this.#hub.generations.set(record.clientId, record.generation);
    this.#hub.sessions.set(record.clientId, copySessionRecord(record));
    return true;
  }

  async delete(clientId: string, generation: number): Promise<boolean> {
    if (this.#failures.sessions) throw injectedFailure('sessions.delete');
    if (generation < this.#latestGeneration(clientId)) return false;
    this.#hub.sessions.delete(clientId);
    this.#hub.queues.delete(clientId);
    return true;
  }

  #latestGeneration(clientId: string): number {
    const recorded = this.#hub.sessions.get(clientId)?.generation ?? 0;
    return Math.max(recorded, this.#hub.generations.get(clientId) ?? 0);
  }
}
