// Prometheus metrics on GET /metrics: process defaults plus the broker's own counters and
// gauges, read at scrape time so the hot path only bumps plain numbers.

import type { ProtocolServer } from '@edgemq/transport';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { NodeStatus } from './node-status.js';

export function createMetrics(status: () => NodeStatus, protocols: readonly ProtocolServer[]): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'edgemq_' });
  const counter = (name: string, help: string, key: string) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(status().counters[key] ?? 0);
      },
    });
  counter('edgemq_messages_published_total', 'Messages accepted from publishers', 'published');
  counter('edgemq_messages_delivered_total', 'Message copies handed to connected subscribers', 'delivered');
  counter(
    'edgemq_dropped_qos0_backpressure_total',
    'QoS 0 messages dropped: subscriber socket buffer full',
    'droppedQos0Backpressure',
  );
  counter(
    'edgemq_dropped_queue_overflow_total',
    'QoS 1/2 messages dropped from a full session queue',
    'droppedQueueOverflow',
  );
  counter('edgemq_dropped_expired_total', 'Messages that expired before delivery', 'droppedExpired');
  counter(
    'edgemq_backbone_data_lost_total',
    'Times Redis was found to have lost its data (restarted empty, flushed): what it stored before is gone',
    'backboneDataLost',
  );
  counter(
    'edgemq_connection_errors_total',
    'Client connections closed because handling their input failed inside the node (not a protocol error)',
    'connectionErrors',
  );
  const gauge = (name: string, help: string, read: (s: NodeStatus) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(status()));
      },
    });
  gauge('edgemq_connections', 'Open client connections, every protocol', (s) => s.connections);
  new Gauge({
    name: 'edgemq_protocol_connections',
    help: 'Open client connections per protocol',
    labelNames: ['protocol'],
    registers: [registry],
    collect() {
      for (const p of protocols) this.set({ protocol: p.name }, p.connectionCount);
    },
  });
  new Gauge({
    name: 'edgemq_endpoint_info',
    help: 'What clients connect to: one series per protocol endpoint, value 1',
    labelNames: ['protocol', 'url'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [protocol, { endpoints }] of Object.entries(status().protocols)) {
        for (const url of endpoints) this.set({ protocol, url }, 1);
      }
    },
  });
  for (const p of protocols) {
    for (const g of p.gauges()) {
      new Gauge({
        name: g.name,
        help: g.help,
        registers: [registry],
        collect() {
          this.set(g.read());
        },
      });
    }
  }
  gauge('edgemq_sessions', 'Sessions held by this node (connected and parked)', (s) => s.sessions);
  gauge('edgemq_subscriptions', 'Subscriptions in the local index', (s) => s.subscriptions);
  gauge('edgemq_ready', '1 when the backbone is reachable', (s) => (s.ready ? 1 : 0));
  return registry;
}
