// Parked-session queues on a MemoryHub: a capped FIFO per client id that drops its oldest
// messages (or refuses the newest) to stay within `maxLength` and says how many it dropped.

import type { Message } from '@edgemq/model';
import type { QueueOverflow, QueuePushResult, QueueStore } from '../backbone.js';
import { copyMessage } from './copy.js';
import { type FailureSwitches, injectedFailure } from './failures.js';
import type { MemoryHub } from './memory-hub.js';

export class MemoryQueues implements QueueStore {
  readonly #hub: MemoryHub;
  readonly #failures: FailureSwitches;

  constructor(hub: MemoryHub, failures: FailureSwitches) {
    this.#hub = hub;
    this.#failures = failures;
  }

  async push(
    clientId: string,
    message: Message,
    maxLength: number,
    overflow: QueueOverflow = 'dropOldest',
  ): Promise<QueuePushResult> {
    if (this.#failures.queues) throw injectedFailure('queues.push');
    const queue = this.#hub.queues.get(clientId) ?? [];
    const bound = Math.max(0, Math.floor(maxLength));
    if (overflow === 'dropNewest' && queue.length >= bound) return { length: queue.length, dropped: 1 };
    queue.push(copyMessage(message));
    const dropped = Math.max(0, queue.length - bound);
    if (dropped > 0) queue.splice(0, dropped);
    if (queue.length === 0) this.#hub.queues.delete(clientId);
    else this.#hub.queues.set(clientId, queue);
    return { length: queue.length, dropped };
  }

  async take(clientId: string, max: number): Promise<Message[]> {
    if (this.#failures.queues) throw injectedFailure('queues.take');
    const queue = this.#hub.queues.get(clientId);
    if (queue === undefined || max <= 0) return [];
    const taken = queue.splice(0, Math.floor(max));
    if (queue.length === 0) this.#hub.queues.delete(clientId);
    return taken; // removed from the store: the caller may keep these copies
  }

  async length(clientId: string): Promise<number> {
    if (this.#failures.queues) throw injectedFailure('queues.length');
    return this.#hub.queues.get(clientId)?.length ?? 0;
  }

  async clear(clientId: string): Promise<void> {
    if (this.#failures.queues) throw injectedFailure('queues.clear');
    this.#hub.queues.delete(clientId);
  }
}
