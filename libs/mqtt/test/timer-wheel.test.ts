// The shared timer wheel: a timer fires once, never early and at most about a tick late;
// a cancelled or re-scheduled timer fires only for its latest schedule.
import { describe, expect, it } from 'vitest';
import { TICK_MS, type WheelTimer, wheel } from '../src/timer-wheel.js';

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
});
