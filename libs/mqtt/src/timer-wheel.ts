// Coarse timers for many connections (CONNECT timeout, keep-alive): one interval and
// a bucket per 100 ms tick instead of a Node Timeout per connection, which costs some
// 200 bytes each. Deadlines are rounded up to the next tick, so a timer fires up to one
// tick late, never early. Cancelling is lazy: the entry stays in its bucket and is
// skipped when the tick comes.

export interface WheelTimer {
  /** The tick this timer is due at; 0 when not scheduled. Owned by the wheel. */
  dueTick: number;
  /** Called once when the timer comes due. */
  timerDue(): void;
}

export const TICK_MS = 100;

class TimerWheel {
  private readonly buckets = new Map<number, WheelTimer[]>();
  private interval?: NodeJS.Timeout;
  private lastTick = 0;

  schedule(timer: WheelTimer, delayMs: number): void {
    const now = performance.now();
    if (!this.interval) {
      this.lastTick = Math.floor(now / TICK_MS);
      this.interval = setInterval(() => this.run(), TICK_MS);
      this.interval.unref();
    }
    const tick = Math.max(Math.ceil((now + delayMs) / TICK_MS), this.lastTick + 1);
    timer.dueTick = tick;
    const bucket = this.buckets.get(tick);
    if (bucket) bucket.push(timer);
    else this.buckets.set(tick, [timer]);
  }

  cancel(timer: WheelTimer): void {
    timer.dueTick = 0;
  }

  private run(): void {
    const now = Math.floor(performance.now() / TICK_MS);
    for (let tick = this.lastTick + 1; tick <= now; tick++) {
      const bucket = this.buckets.get(tick);
      if (!bucket) continue;
      this.buckets.delete(tick);
      for (const timer of bucket) {
        if (timer.dueTick !== tick) continue; // cancelled or moved
        timer.dueTick = 0;
        try {
          timer.timerDue();
        } catch (error) {
          // The others still run; the error surfaces as it would from a Node timer.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }
    this.lastTick = now;
    if (this.buckets.size === 0) {
      clearInterval(this.interval);
      this.interval = undefined;
    }
  }
}

export const wheel = new TimerWheel();
