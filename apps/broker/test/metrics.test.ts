import { connectClient } from '@edgemq/testkit';
import { describe, expect, it } from 'vitest';
import { useTestNode } from './helpers/test-node.js';

const node = useTestNode();

const scrape = async () => {
  const res = await fetch(`${node().httpUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
};
const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('GET /metrics', () => {
  it('exposes Prometheus text with the broker counters, read live', async () => {
    const before = await scrape();
    expect(before).toContain('# TYPE edgemq_messages_published_total counter');
    expect(value(before, 'edgemq_ready')).toBe(1);
    const client = await connectClient(node().tcpUrl, { clientId: 'metrics-1' });
    await client.client.subscribeAsync('metrics/#', { qos: 1 });
    await client.client.publishAsync('metrics/a', 'x', { qos: 1 });
    await client.take();
    const after = await scrape();
    expect(value(after, 'edgemq_messages_published_total')).toBe(
      value(before, 'edgemq_messages_published_total') + 1,
    );
    expect(value(after, 'edgemq_messages_delivered_total')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'edgemq_connections')).toBe(1);
    expect(value(after, 'edgemq_subscriptions')).toBe(1);
    await client.end();
  });
});
