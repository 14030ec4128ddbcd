// Collects publishes made in one turn of the event loop into one backbone append, so
// storage round trips are per batch, not per message. Each caller gets the promise of
// the batch its message went into: it resolves once that batch is stored. A batch nobody
// waits for (QoS 0 only) that fails is lost: logged once per outage, then counted.
import type { Message } from '@edgemq/model';
import type { CoreLogger } from './core-logger.js';

export class AppendBatcher {
  private batch: Message[] = [];
  private scheduled = false;
  /** Settles with the current batch's append, for the callers that wait for it. */
  private waiters?: { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void };

  /** Messages of unwaited batches lost since appends last succeeded; 0 while they do. */
  private lost = 0;

  constructor(
    private readonly append: (messages: Message[]) => Promise<void>,
    private readonly log: CoreLogger,
  ) {}

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
    else appended.then(this.stored, (error: unknown) => this.lose(messages.length, error));
  }

  private readonly stored = (): void => {
    if (this.lost === 0) return;
    this.log.info({ lost: this.lost }, 'log appends stored again after QoS 0 messages were lost');
    this.lost = 0;
  };

  private lose(count: number, error: unknown): void {
    // One line per outage, not one per event-loop turn of QoS 0 traffic.
    if (this.lost === 0) {
      this.log.warn(
        { messages: count, err: error },
        'QoS 0 messages lost: the log append failed (counting until appends succeed again)',
      );
    }
    this.lost += count;
  }
}
