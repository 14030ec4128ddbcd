// setLongTimeout: any delay MQTT or the config allows, in steps Node's setTimeout can take.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearLongTimeout, MAX_TIMEOUT_MS, setLongTimeout } from '../src/long-timeout.js';

/** The longest MQTT interval, 0xFFFFFFFF s, in ms: some 2,000 times Node's limit. */
const LONGEST_MQTT_MS = 0xffffffff * 1000;

describe('setLongTimeout (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a delay above 2^31-1 ms waits the whole delay, not 1 ms', () => {
    const fired = vi.fn();
    const delayMs = 3_000_000_000; // 3,000,000 s: 34.7 days
    setLongTimeout(fired, delayMs);
    vi.advanceTimersByTime(1000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(delayMs - 1000 - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('the longest MQTT interval (0xFFFFFFFF s) fires once, at its end', () => {
    const fired = vi.fn();
    setLongTimeout(fired, LONGEST_MQTT_MS);
    vi.advanceTimersByTime(LONGEST_MQTT_MS - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(LONGEST_MQTT_MS);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('short delays behave as setTimeout', () => {
    const fired = vi.fn();
    setLongTimeout(fired, 250);
    vi.advanceTimersByTime(249);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('exactly 2^31-1 ms is one step; one more is two', () => {
    const atLimit = vi.fn();
    const beyond = vi.fn();
    setLongTimeout(atLimit, MAX_TIMEOUT_MS);
    setLongTimeout(beyond, MAX_TIMEOUT_MS + 1);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS);
    expect(atLimit).toHaveBeenCalledOnce();
    expect(beyond).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(beyond).toHaveBeenCalledOnce();
  });

  it('Infinity never fires and holds no Node timer', () => {
    const fired = vi.fn();
    const timer = setLongTimeout(fired, Number.POSITIVE_INFINITY);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(LONGEST_MQTT_MS * 10);
    expect(fired).not.toHaveBeenCalled();
    expect(timer.pending).toBe(true);
  });

  it('a negative or NaN delay fires on the next turn, as setTimeout would', () => {
    const fired = vi.fn();
    setLongTimeout(fired, -5);
    setLongTimeout(fired, Number.NaN);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(fired).toHaveBeenCalledTimes(2);
  });

  it('cancel stops it in any step, and leaves no Node timer behind', () => {
    const fired = vi.fn();
    const timer = setLongTimeout(fired, MAX_TIMEOUT_MS * 3);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS + 10); // into the second step
    expect(timer.pending).toBe(true);
    timer.cancel();
    expect(timer.pending).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS * 3);
    expect(fired).not.toHaveBeenCalled();
    clearLongTimeout(undefined); // an absent timer is fine, as with clearTimeout
  });

  it('pending turns false once the callback ran', () => {
    const timer = setLongTimeout(() => undefined, 10);
    vi.advanceTimersByTime(10);
    expect(timer.pending).toBe(false);
  });
});

describe('setLongTimeout: process effects', () => {
  it('unref carries over to every later step: a long timer never keeps the process alive', () => {
    vi.useFakeTimers();
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      const timer = setLongTimeout(() => undefined, MAX_TIMEOUT_MS * 2).unref();
      vi.advanceTimersByTime(MAX_TIMEOUT_MS); // the second step is armed now
      const steps = spy.mock.results.map((r) => r.value as NodeJS.Timeout);
      expect(steps).toHaveLength(2);
      expect(steps.map((t) => t.hasRef())).toEqual([false, false]);
      timer.cancel();
    } finally {
      spy.mockRestore();
      vi.useRealTimers();
    }
  });

  it('emits no TimeoutOverflowWarning, whatever the delay', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const timers = [3_000_000_000, LONGEST_MQTT_MS, Number.POSITIVE_INFINITY].map((ms) =>
        setLongTimeout(() => undefined, ms),
      );
      // Warnings are emitted on a later tick: let one pass with a timer that does fire.
      await new Promise<void>((resolve) => setLongTimeout(resolve, 5));
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (const timer of timers) {
        expect(timer.pending).toBe(true);
        timer.cancel();
      }
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
