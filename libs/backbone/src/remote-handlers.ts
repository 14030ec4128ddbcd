// The onRemote handlers of a backbone: each gets its own copy of a remote message, and a
// handler that throws is reported without keeping the message from the others.

import type { Message } from '@edgemq/model';
import type { RemoteMessageHandler } from './backbone.js';
import { copyMessage } from './memory/copy.js';

export class RemoteHandlers {
  private readonly handlers: RemoteMessageHandler[] = [];

  constructor(private readonly onError: (error: unknown, message: Message) => void) {}

  add(handler: RemoteMessageHandler): void {
    this.handlers.push(handler);
  }

  dispatch(message: Message): void {
    // Each handler gets its own copy, taken before any handler runs.
    const copies = this.handlers.map((_, index) => (index === 0 ? message : copyMessage(message)));
    this.handlers.forEach((handler, index) => {
      try {
        handler(copies[index]);
      } catch (error) {
        this.onError(error, message);
      }
    });
  }
}
