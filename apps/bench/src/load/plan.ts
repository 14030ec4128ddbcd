// What the coordinator tells a load worker to do, and what the worker reports back, over
// the `child_process.fork` IPC channel. Everything here is plain JSON.
//
// Worker life: plan → connect + subscribe → `ready` → go → measure → stop → `stopped`
// → (ticks while in-flight messages drain) → report → `result` → exit. A "holder" worker
// (idle connections, extra subscriptions) has no publishers: it goes plan → `ready` and
// holds its connections until `report`.
import type { Endpoint } from './wire.js';

export interface PublisherPlan {
  /** Global publisher id, dense from 0; carried in every payload. */
  id: number;
  topic: string;
  /**
   * Closed loop: at most `window` messages in flight, counted from send to receipt by the
   * subscriber in the same worker whose filter is this topic (and, at QoS 1, to the PUBACK).
   */
  window?: number;
  /** Open loop: this many messages per second, whether or not anyone receives them. */
  ratePerSec?: number;
  /** How many subscribers receive each message (to count loss). */
  copies: number;
}

export interface SubscriberPlan {
  id: number;
  filter: string;
}

export interface ExtraSubscriptions {
  connections: number;
  perConnection: number;
  /** Filter numbers start here (see `unrelatedFilter`). */
  firstIndex: number;
  /** Filters per SUBSCRIBE packet. */
  perPacket: number;
}

export interface WorkerPlan {
  workerIndex: number;
  runId: string;
  endpoint: Endpoint;
  /**
   * Where this worker's subscribers connect, when not `endpoint` (cluster: publishers on
   * node 1, subscribers on node 2). Publishers, idle and extra connections use `endpoint`.
   */
  subscriberEndpoint?: Endpoint;
  qos: 0 | 1;
  payloadBytes: number;
  publishers: PublisherPlan[];
  subscribers: SubscriberPlan[];
  idleConnections: number;
  extraSubscriptions?: ExtraSubscriptions;
  /** Connections opened at once while connecting. */
  connectConcurrency: number;
}

export interface Counters {
  published: number;
  /** Messages received, duplicates included. */
  delivered: number;
  acked: number;
  /** Deliveries the messages published so far should make: Σ sent × copies. */
  expected: number;
}

export interface LatencySnapshot {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  count: number;
}

export interface PublisherTally {
  id: number;
  sent: number;
  copies: number;
  /** Open loop: messages not sent because the socket was congested for over a second. */
  skipped: number;
  /** Closed loop: times the window was reset after a second without progress. */
  stalls: number;
}

export interface ReceiveTally {
  /** Publisher id. */
  from: number;
  unique: number;
  duplicates: number;
}

export interface WorkerResult {
  window: Counters & { ms: number };
  totals: Counters;
  publishers: PublisherTally[];
  /** Summed over this worker's subscribers, per publisher. */
  received: ReceiveTally[];
  /** End-to-end latency in µs, hdr-histogram-js compressed base64. */
  latency: string;
  /** QoS 1 publish → PUBACK in µs, compressed base64; empty at QoS 0. */
  ackLatency: string;
  foreign: number;
  disconnects: string[];
}

export type ToWorker =
  | { t: 'plan'; plan: WorkerPlan }
  | { t: 'go' }
  | { t: 'measure' }
  | { t: 'stop' }
  | { t: 'report' };

export type FromWorker =
  | { t: 'ready'; connections: number; connectMs: number; subscribeMs: number; subscriptions: number }
  | { t: 'tick'; counters: Counters; latency?: LatencySnapshot }
  | { t: 'stopped'; window: Counters & { ms: number } }
  | { t: 'result'; result: WorkerResult }
  | { t: 'error'; message: string };

/** Filters that never match `bench/...` pair topics, a mix of exact and wildcard (as index-subs). */
export function unrelatedFilter(n: number): string {
  switch (n % 4) {
    case 0:
      return `devices/${n}/+/status`;
    case 1:
      return `fleet/${n}/#`;
    case 2:
      return `sensors/${n}/temperature`;
    default:
      return `bench/other/${n}`;
  }
}
