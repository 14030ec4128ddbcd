// Collects publishes made in one turn of the event loop into one backbone append, so
// storage round trips are per batch, not per message. Each caller gets the promise of
// the batch its message went into: it resolves once that batch is stored.
import type { Message } from '@edgemq/backbone';

export class AppendBatcher {
  private batch: Message[] = [];
  private batchDone?: Promise<void>;

  constructor(private readonly append: (messages: Message[]) => Promise<void>) {}

  add(message: Message): Promise<void> {
    this.batch.push(message);
    if (!this.batchDone) {
      this.batchDone = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          const messages = this.batch;
          this.batch = [];
          this.batchDone = undefined;
          this.append(messages).then(resolve, reject);
        });
      });
    }
    return this.batchDone;
  }
}
