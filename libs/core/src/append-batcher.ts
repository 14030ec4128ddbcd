// Collects publishes made in one turn of the event loop into one backbone append, so
// storage round trips are per batch, not per message. Each caller gets the promise of
// the batch its message went into: it resolves once that batch is stored.
import type { Message } from '@edgemq/model';

export class AppendBatcher {
  private batch: Message[] = [];
  private scheduled = false;
  /** Settles with the current batch's append, for the callers that wait for it. */
  private waiters?: { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void };

  constructor(private readonly append: (messages: Message[]) => Promise<void>) {}

  /** Adds `message` to this turn's batch; resolves once that batch is stored. */
  add(message: Message): Promise<void> {
    this.push(message);
    if (!this.waiters) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.waiters = { promise, resolve, reject };
    }
    return this.waiters.promise;
  }

  /** Adds `message` to this turn's batch without waiting for it (nobody is told). */
  push(message: Message): void {
    this.batch.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    const messages = this.batch;
    const waiters = this.waiters;
    this.batch = [];
    this.waiters = undefined;
    this.scheduled = false;
    const appended = this.append(messages);
    if (waiters) appended.then(waiters.resolve, waiters.reject);
    else appended.catch(() => undefined);
  }
}
