// Latency histograms: hdr-histogram-js, values in microseconds, 1 µs to 5 min at 3
// significant digits. Workers ship theirs to the coordinator as compressed base64.
import * as hdr from 'hdr-histogram-js';
import type { LatencySnapshot } from './plan.js';

export type Histogram = hdr.Histogram;

const MAX_US = 300_000_000;

export function newHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_US,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
  });
}

/** Records a latency in µs, clamped to the trackable range. */
export function recordUs(h: Histogram, us: number): void {
  h.recordValue(us < 1 ? 1 : us > MAX_US ? MAX_US : Math.round(us));
}

export const encodeHistogram = (h: Histogram): string =>
  h.totalCount === 0 ? '' : hdr.encodeIntoCompressedBase64(h);

/** Adds an encoded histogram (from `encodeHistogram`) into `into`. */
export function addEncoded(into: Histogram, encoded: string): void {
  if (encoded === '') return;
  into.add(hdr.decodeFromCompressedBase64(encoded, 32));
}

export function snapshot(h: Histogram): LatencySnapshot {
  return {
    p50Ms: h.getValueAtPercentile(50) / 1000,
    p99Ms: h.getValueAtPercentile(99) / 1000,
    maxMs: h.maxValue / 1000,
    count: h.totalCount,
  };
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
}

export function summarize(h: Histogram): LatencySummary {
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    count: h.totalCount,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.maxValue),
    meanMs: ms(h.mean),
  };
}
