// Coarse timers for many connections (CONNECT timeout, keep-alive, heartbeats): one interval and
// a bucket per 100 ms tick instead of a Node Timeout per connection, which costs some
// 200 bytes each. Deadlines are rounded up to the next tick, so a timer fires up to one
// tick late, never early. A bucket is a Set: cancelling or re-scheduling takes the timer
// out of its bucket at once (O(1)), so the wheel never holds on to a closed connection.
// Any finite delay works, including those beyond Node's setTimeout limit (2^31-1 ms): a
// timer is a tick number in a Map, and the only Node timer is the 100 ms interval.

export interface WheelTimer {
  /** The tick this timer is due at; 0 when not scheduled. Owned by the wheel. */
  dueTick: number;
  /** Called once when the timer comes due. */
  timerDue(): void;
}

export const TICK_MS = 100;

export class TimerWheel {
  private readonly buckets = new Map<number, Set<WheelTimer>>();
  private interval?: NodeJS.Timeout;
  /** The last tick run (or being run). */
  private lastTick = 0;

  /** Timers scheduled and not yet due or cancelled. */
  get size(): number {
    let n = 0;
    for (const bucket of this.buckets.values()) n += bucket.size;
    return n;
  }

  /** (Re-)schedules `timer` to come due in `delayMs`; an earlier schedule is dropped. */
  schedule(timer: WheelTimer, delayMs: number): void {
    const now = performance.now();
    if (!this.interval) {
      this.lastTick = Math.floor(now / TICK_MS);
      this.interval = setInterval(() => this.run(), TICK_MS);
      this.interval.unref();
    }
    const tick = Math.max(Math.ceil((now + delayMs) / TICK_MS), this.lastTick + 1);
    if (timer.dueTick === tick) return;
    this.remove(timer);
    timer.dueTick = tick;
    const bucket = this.buckets.get(tick);
    if (bucket) bucket.add(timer);
    else this.buckets.set(tick, new Set([timer]));
  }

  cancel(timer: WheelTimer): void {
    this.remove(timer);
    timer.dueTick = 0;
  }

  private remove(timer: WheelTimer): void {
    if (timer.dueTick === 0) return;
    const bucket = this.buckets.get(timer.dueTick);
    if (bucket?.delete(timer) && bucket.size === 0) this.buckets.delete(timer.dueTick);
  }

  private run(): void {
    const now = Math.floor(performance.now() / TICK_MS);
    for (let tick = this.lastTick + 1; tick <= now; tick++) {
      // A timer re-scheduled from timerDue() goes to a later tick, never to this one.
      this.lastTick = tick;
      const bucket = this.buckets.get(tick);
      if (!bucket) continue;
      this.buckets.delete(tick);
      for (const timer of bucket) {
        if (timer.dueTick !== tick) continue; // cancelled or moved by an earlier timerDue()
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
