// Timers whose delay a client or the config chooses. Node's setTimeout takes at most
// 2^31-1 ms (~24.8 days): a longer delay fires after 1 ms with a TimeoutOverflowWarning,
// while MQTT allows a session expiry or will delay of up to 0xFFFFFFFF s (~136 years).
// A LongTimeout waits in steps Node can take and treats an infinite delay as "never": no
// Node timer at all. Every timer with an outside delay goes through here.

/** The longest delay Node's setTimeout honours. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class LongTimeout {
  #timer?: NodeJS.Timeout;
  /** What is left to wait after the step now running. */
  #remainingMs: number;
  #ref = true;
  #done = false;

  /** Calls `callback` once after `delayMs` (Infinity = never; negative or NaN = at once). */
  constructor(
    private readonly callback: () => void,
    delayMs: number,
  ) {
    this.#remainingMs = Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs);
    this.#arm();
  }

  /** True until the callback ran or the timer was cancelled (an infinite one stays pending). */
  get pending(): boolean {
    return !this.#done;
  }

  /** Like Timeout.unref: this timer does not keep the process alive (for every later step too). */
  unref(): this {
    this.#ref = false;
    this.#timer?.unref();
    return this;
  }

  cancel(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#remainingMs === Number.POSITIVE_INFINITY) return; // never: nothing to wait for
    const stepMs = Math.min(this.#remainingMs, MAX_TIMEOUT_MS);
    this.#remainingMs -= stepMs;
    // Counting steps rather than reading a clock: each step waited at least its length on
    // Node's monotonic clock, so the callback never runs early, whatever the wall clock does.
    this.#timer = setTimeout(() => this.#stepDone(), stepMs);
    if (!this.#ref) this.#timer.unref();
  }

  #stepDone(): void {
    this.#timer = undefined;
    if (this.#remainingMs > 0) {
      this.#arm();
      return;
    }
    this.#done = true;
    this.callback();
  }
}

/** setTimeout for any delay: chained under Node's limit, Infinity never fires. */
export function setLongTimeout(callback: () => void, delayMs: number): LongTimeout {
  return new LongTimeout(callback, delayMs);
}

/** Cancels `timer` if there is one (clearTimeout's shape, for optional fields). */
export function clearLongTimeout(timer: LongTimeout | undefined): void {
  timer?.cancel();
}
