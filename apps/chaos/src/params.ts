// The knobs of a chaos run. Two sets of defaults: the full run (`make chaos`) and the short
// one the test runs in under two minutes; command-line flags override single values.

export interface ChaosParams {
  /** Seeds the choices a run makes (which node dies, where clients start). */
  readonly seed: number;
  /** Traffic before the fault is injected, then after it is lifted. */
  readonly beforeFaultMs: number;
  readonly afterFaultMs: number;
  /** Messages per second of each publisher. */
  readonly ratePerSec: number;
  /** How long Redis stays frozen in `redis-pause`. */
  readonly outageMs: number;
  /** How long the slow reader reads slowly, and how fast then. */
  readonly slowMs: number;
  readonly slowBytesPerSec: number;
  /** Persistent clients in `reconnect-storm`, and the rate of the one publisher they all hear. */
  readonly stormClients: number;
  readonly stormRatePerSec: number;
  /** Pause between a lost connection and the next attempt (MQTT.js reconnectPeriod). */
  readonly reconnectMs: number;
  /** After the publishers stop: wait until nothing is missing, or nothing arrived for quietMs, at most maxMs. */
  readonly drainQuietMs: number;
  readonly drainMaxMs: number;
  /** A clean session is not owed what was acknowledged this close to the end of its connection. */
  readonly cleanGraceMs: number;
  /** Longest wait for every client to be served again before the publishers stop anyway. */
  readonly serveTimeoutMs: number;
}

export const fullParams: ChaosParams = {
  seed: 1,
  beforeFaultMs: 5_000,
  afterFaultMs: 15_000,
  ratePerSec: 20,
  outageMs: 5_000,
  slowMs: 8_000,
  slowBytesPerSec: 4096,
  stormClients: 1000,
  stormRatePerSec: 2,
  reconnectMs: 1000,
  drainQuietMs: 5_000,
  drainMaxMs: 30_000,
  cleanGraceMs: 2_000,
  serveTimeoutMs: 30_000,
};

export const shortParams: ChaosParams = {
  ...fullParams,
  beforeFaultMs: 2_000,
  afterFaultMs: 4_000,
  ratePerSec: 10,
  slowMs: 3_000,
  stormClients: 200,
  reconnectMs: 500,
  drainQuietMs: 2_000,
  drainMaxMs: 10_000,
  serveTimeoutMs: 15_000,
};

/** `--duration S`: S seconds of traffic per scenario, a quarter of it before the fault. */
export function withDuration(params: ChaosParams, seconds: number): ChaosParams {
  const ms = seconds * 1000;
  return { ...params, beforeFaultMs: Math.round(ms / 4), afterFaultMs: Math.round((ms * 3) / 4) };
}
