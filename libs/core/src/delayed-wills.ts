// MQTT 5 will delay: a will waits after its connection ended, is cancelled when the
// client resumes the session in time, and is published when the delay passes or the
// session ends, whichever comes first [MQTT-3.1.3-9].
import type { Message } from '@edgemq/model';

export class DelayedWills {
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; message: Message }>();

  constructor(private readonly publish: (message: Message) => void) {}

  schedule(clientId: string, message: Message, delayMs: number): void {
    this.fire(clientId);
    const timer = setTimeout(() => this.fire(clientId), delayMs);
    timer.unref();
    this.pending.set(clientId, { timer, message });
  }

  /** The client resumed its session: the will is not sent. */
  cancel(clientId: string): void {
    const entry = this.pending.get(clientId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(clientId);
  }

  /** The delay passed or the session ended: publish now. */
  fire(clientId: string): void {
    const entry = this.pending.get(clientId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(clientId);
    this.publish({ ...entry.message, createdAtMs: Date.now() });
  }

  get size(): number {
    return this.pending.size;
  }

  stop(): void {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
