// Wills: a will is published when its connection ends without DISCONNECT, at once or,
// with an MQTT 5 will delay, when the delay passes unless the client resumes the session
// in time, and at the latest when the session ends [MQTT-3.1.3-9]. Nobody waits for a
// will's publish, so one the backbone does not store is logged here. The delay may be up
// to 0xFFFFFFFF s, beyond Node's setTimeout: it waits on a LongTimeout.
import { type LongTimeout, type Message, setLongTimeout } from '@edgemq/model';
import type { CoreLogger } from './core-logger.js';

export class Wills {
  private readonly pending = new Map<string, { timer: LongTimeout; message: Message }>();

  constructor(
    private readonly publish: (message: Message) => Promise<unknown>,
    private readonly log: CoreLogger,
    private readonly now: () => number,
  ) {}

  /** Publishes `will` now: its message expiry counts from here, not from CONNECT. */
  publishNow(will: Message): void {
    this.publish({ ...will, createdAtMs: this.now() }).catch((error: unknown) => {
      this.log.warn(
        { clientId: will.origin.clientId, topic: will.topic, err: error },
        'will not published: the backbone did not store it',
      );
    });
  }

  schedule(clientId: string, message: Message, delayMs: number): void {
    this.fire(clientId);
    const timer = setLongTimeout(() => this.fire(clientId), delayMs).unref();
    this.pending.set(clientId, { timer, message });
  }

  /** The client resumed its session: the will is not sent. */
  cancel(clientId: string): void {
    const entry = this.pending.get(clientId);
    if (!entry) return;
    entry.timer.cancel();
    this.pending.delete(clientId);
  }

  /** The delay passed or the session ended: publish now. */
  fire(clientId: string): void {
    const entry = this.pending.get(clientId);
    if (!entry) return;
    entry.timer.cancel();
    this.pending.delete(clientId);
    this.publishNow(entry.message);
  }

  get size(): number {
    return this.pending.size;
  }

  stop(): void {
    for (const { timer } of this.pending.values()) timer.cancel();
    this.pending.clear();
  }
}
