// The node serves its protocols through one list (ProtocolServer): /healthz, /metrics and
// the start-up line name every protocol's endpoints and connections.
import { connectClient } from '@edgemq/testkit';
import { describe, expect, it } from 'vitest';
import { useTestNode } from './helpers/test-node.js';

const testNode = useTestNode();

describe('protocols plugged into the node', () => {
  it('every protocol server wants its listeners and is bound', () => {
    const node = testNode();
    expect(node.protocols.map((p) => p.name)).toEqual(['mqtt']);
    expect(node.ports.mqtt).toBeGreaterThan(0);
    expect(node.endpoints).toEqual([
      `ws://127.0.0.1:${node.ports.http}/mqtt`,
      `mqtt://127.0.0.1:${node.ports.mqtt}`,
      `http://127.0.0.1:${node.ports.http}/`,
    ]);
  });

  it('/healthz lists the endpoints and the connections of each protocol', async () => {
    const node = testNode();
    const client = await connectClient(node.tcpUrl, { clientId: 'protocols-health' });
    const body = (await (await fetch(`${node.httpUrl}/healthz`)).json()) as Record<string, unknown>;
    expect(body.endpoints).toEqual(node.endpoints);
    expect(body.protocols).toEqual({
      mqtt: { connections: 1, endpoints: node.endpoints.filter((url) => !url.startsWith('http:')) },
    });
    expect(body.connections).toBe(1);
    await client.end();
  });

  it('/metrics counts connections per protocol and lists its endpoints', async () => {
    const node = testNode();
    const client = await connectClient(node.wsUrl, { clientId: 'protocols-metrics' });
    const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^edgemq_protocol_connections\{protocol="mqtt"\} 1$/m);
    for (const url of node.endpoints.filter((u) => !u.startsWith('http:'))) {
      expect(text).toContain(`edgemq_endpoint_info{protocol="mqtt",url="${url}"} 1`);
    }
    await client.end();
  });
});
