// The in-process fan-out log: the memory counterpart of the Redis shard streams. It hands
// each appended batch to every OTHER member, asynchronously and in append order, the way
// every node reads every other node's entries from Redis and skips its own; and it keeps
// the most recent entries (bounded, like MAXLEN) for replay after a node dies.

import type { Message } from '@edgemq/model';
import { copyMessage } from './copy.js';

/** A reader of the log: one per started MemoryBackbone. */
export interface MemoryLogMember {
  deliver(message: Message): void;
}

interface Entry {
  appendedAtMs: number;
  messages: Message[];
}

/** Entries kept for replay; older ones are trimmed as a capped stream would be. */
const DEFAULT_MAX_ENTRIES = 10_000;

export class MemoryLog {
  readonly #members = new Set<MemoryLogMember>();
  #entries: Entry[] = [];

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  join(member: MemoryLogMember): void {
    this.#members.add(member);
  }

  leave(member: MemoryLogMember): void {
    this.#members.delete(member);
  }

  /** Number of members currently reading the log. */
  get size(): number {
    return this.#members.size;
  }

  /**
   * Delivers `messages` to every member except `from`. Each member gets its own copies,
   * taken now (as if serialized into the log), on a microtask: deliveries from successive
   * appends keep their order. A member that has left by then gets nothing. With no other
   * member there is nobody to replay for either, so nothing is kept.
   */
  append(from: MemoryLogMember | undefined, messages: readonly Message[]): void {
    if (messages.length === 0) return;
    if (this.#members.size > 1 || (from === undefined && this.#members.size > 0)) this.#keep(messages);
    for (const member of this.#members) {
      if (member === from) continue;
      const copies = messages.map(copyMessage);
      queueMicrotask(() => {
        if (!this.#members.has(member)) return;
        for (const message of copies) member.deliver(message);
      });
    }
  }

  /** Every kept message appended at or after `sinceMs`, oldest first, as copies. */
  since(sinceMs: number): Message[] {
    const out: Message[] = [];
    for (const entry of this.#entries) {
      if (entry.appendedAtMs >= sinceMs) for (const message of entry.messages) out.push(copyMessage(message));
    }
    return out;
  }

  #keep(messages: readonly Message[]): void {
    this.#entries.push({ appendedAtMs: Date.now(), messages: messages.map(copyMessage) });
    if (this.#entries.length > this.maxEntries * 2) this.#entries = this.#entries.slice(-this.maxEntries);
  }
}
