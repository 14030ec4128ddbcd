// The in-process fan-out log: the memory counterpart of the Redis shard streams. It keeps
// no entries (with one process there is nobody to replay them for); it only hands each
// appended batch to every OTHER member, asynchronously and in append order, the way every
// node reads every other node's entries from Redis and skips its own.

import type { Message } from '../message.js';
import { copyMessage } from './copy.js';

/** A reader of the log: one per started MemoryBackbone. */
export interface MemoryLogMember {
  deliver(message: Message): void;
}

export class MemoryLog {
  readonly #members = new Set<MemoryLogMember>();

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
   * appends keep their order. A member that has left by then gets nothing.
   */
  append(from: MemoryLogMember | undefined, messages: readonly Message[]): void {
    if (messages.length === 0) return;
    for (const member of this.#members) {
      if (member === from) continue;
      const copies = messages.map(copyMessage);
      queueMicrotask(() => {
        if (!this.#members.has(member)) return;
        for (const message of copies) member.deliver(message);
      });
    }
  }
}
