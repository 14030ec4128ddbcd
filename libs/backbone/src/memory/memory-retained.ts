// Retained messages on a MemoryHub: one per topic; a message with an empty payload clears
// the topic (MQTT 3.3.1.3).

import type { Message } from '@edgemq/model';
import type { RetainedStore } from '../backbone.js';
import { copyMessage } from './copy.js';
import { type FailureSwitches, injectedFailure } from './failures.js';
import type { MemoryHub } from './memory-hub.js';

export class MemoryRetained implements RetainedStore {
  readonly #hub: MemoryHub;
  readonly #failures: FailureSwitches;

  constructor(hub: MemoryHub, failures: FailureSwitches) {
    this.#hub = hub;
    this.#failures = failures;
  }

  async set(message: Message): Promise<void> {
    if (this.#failures.retained) throw injectedFailure('retained.set');
    if (message.payload.length === 0) this.#hub.retained.delete(message.topic);
    else this.#hub.retained.set(message.topic, copyMessage(message));
  }

  async get(topic: string): Promise<Message | undefined> {
    if (this.#failures.retained) throw injectedFailure('retained.get');
    const message = this.#hub.retained.get(topic);
    return message === undefined ? undefined : copyMessage(message);
  }

  async topics(): Promise<string[]> {
    if (this.#failures.retained) throw injectedFailure('retained.topics');
    return [...this.#hub.retained.keys()];
  }
}
