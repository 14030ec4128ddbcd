// The shared timer wheel: a timer fires once, never early and at most about a tick late;
// a cancelled or re-scheduled timer fires only for its latest schedule.
import { describe, expect, it } from 'vitest';
import { TICK_MS, TimerWheel, type WheelTimer, wheel } from '../src/timer-wheel.js';

function timer(): WheelTimer & { firedAt: number[] } {
  const t = {
    dueTick: 0,
    firedAt: [] as number[],
    timerDue() {
      t.firedAt.push(performance.now());
    },
  };
  return t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('timer wheel', () => {
  it('fires once, not before the delay and within a tick or so after it', async () => {
    const t = timer();
    const start = performance.now();
    wheel.schedule(t, 250);
    await sleep(250 + 3 * TICK_MS);
    expect(t.firedAt).toHaveLength(1);
    const after = t.firedAt[0] - start;
    expect(after).toBeGreaterThanOrEqual(250 - 1);
    expect(after).toBeLessThan(250 + 2 * TICK_MS + 50);
    expect(t.dueTick).toBe(0);
  });

  it('a cancelled timer does not fire; a re-scheduled one fires for its last schedule only', async () => {
    const cancelled = timer();
    const moved = timer();
    wheel.schedule(cancelled, 50);
    wheel.schedule(moved, 50);
    wheel.cancel(cancelled);
    const start = performance.now();
    wheel.schedule(moved, 300);
    await sleep(300 + 3 * TICK_MS);
    expect(cancelled.firedAt).toHaveLength(0);
    expect(moved.firedAt).toHaveLength(1);
    expect(moved.firedAt[0] - start).toBeGreaterThanOrEqual(300 - 1);
  });

  it('a timer that throws does not keep the others from firing', async () => {
    const bad: WheelTimer = {
      dueTick: 0,
      timerDue() {
        throw new Error('boom');
      },
    };
    const good = timer();
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    try {
      wheel.schedule(bad, 0);
      wheel.schedule(good, 0);
      await sleep(3 * TICK_MS);
      expect(good.firedAt).toHaveLength(1);
    } finally {
      process.off('uncaughtException', onError);
    }
  });

  it('cancelling lets go of the timer at once (no closed connection waits for its tick)', () => {
    const w = new TimerWheel();
    const timers = Array.from({ length: 10_000 }, () => timer());
    // Spread over many ticks, as keep-alives of up to 1200 s are.
    for (let i = 0; i < timers.length; i++) w.schedule(timers[i], 1000 + (i % 500) * TICK_MS * 20);
    expect(w.size).toBe(timers.length);
    for (const t of timers) w.cancel(t);
    expect(w.size).toBe(0);
    expect(timers.every((t) => t.dueTick === 0)).toBe(true);
    // Cancelling twice, or a timer never scheduled, is harmless.
    w.cancel(timers[0]);
    w.cancel(timer());
    expect(w.size).toBe(0);
  });

  it('re-scheduling keeps one entry per timer, not one per schedule', () => {
    const w = new TimerWheel();
    const t = timer();
    for (let i = 0; i < 1000; i++) w.schedule(t, 60_000 + i * TICK_MS);
    expect(w.size).toBe(1);
    w.cancel(t);
    expect(w.size).toBe(0);
  });

  it('a timer re-scheduled from its own timerDue fires again, on a later tick', async () => {
    const w = new TimerWheel();
    let fired = 0;
    const t: WheelTimer = {
      dueTick: 0,
      timerDue() {
        fired++;
        if (fired < 3) w.schedule(t, 0);
      },
    };
    w.schedule(t, 0);
    await sleep(8 * TICK_MS);
    expect(fired).toBe(3);
    expect(w.size).toBe(0);
  });

  it('takes delays beyond 2^31-1 ms whole: the due tick lies that far ahead and nothing fires early', async () => {
    // The wheel keys timers by tick under one 100 ms interval, so no Node timer ever holds a
    // long delay (setTimeout would fire it after 1 ms). CONNECT timeouts come from config.
    const w = new TimerWheel();
    const t = timer();
    const delayMs = 3_000_000_000;
    const before = performance.now();
    w.schedule(t, delayMs);
    const after = performance.now();
    expect(t.dueTick).toBeGreaterThanOrEqual(Math.ceil((before + delayMs) / TICK_MS));
    expect(t.dueTick).toBeLessThanOrEqual(Math.ceil((after + delayMs) / TICK_MS) + 1);
    await sleep(3 * TICK_MS);
    expect(t.firedAt).toEqual([]);
    expect(w.size).toBe(1);
    w.cancel(t);
    expect(w.size).toBe(0);
  });
});
