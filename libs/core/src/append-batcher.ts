// Collects publishes made in one turn of the event loop into one backbone append, so
// storage round trips are per batch, not per message. When the append settles, `settled`
// sees the batch in publish order (local delivery happens there, after the store, so that
// a refused publish reaches nobody and QoS 0 keeps its place among QoS 1/2 messages); then
// each caller of `add` learns its batch's outcome. A batch nobody waits for (QoS 0 only)
// that fails is lost to other nodes: logged once per outage, then counted.
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
    private readonly settled: (messages: readonly Message[], error: unknown) => void,
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
    this.append(messages).then(
      () => {
        this.settled(messages, undefined);
        if (waiters) waiters.resolve();
        else this.stored();
      },
      (error: unknown) => {
        this.settled(messages, error);
        if (waiters) waiters.reject(error);
        else this.lose(messages.length, error);
      },
    );
  }

  private stored(): void {
    if (this.lost === 0) return;
    this.log.info({ lost: this.lost }, 'log appends stored again after QoS 0 messages were lost');
    this.lost = 0;
  }

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
