// shutdownTimeoutMs takes any value the config allows: above 2^31-1 ms a plain setTimeout
// fired after 1 ms (with a TimeoutOverflowWarning), so a graceful shutdown stopped waiting
// for its connections at once. The node is in-process, so its warnings reach this process.
import { connectClient, waitFor } from '@edgemq/testkit';
import { describe, expect, it } from 'vitest';
import { useTimeoutOverflowWarnings } from './helpers/process-warnings.js';
import { startTestNode, unique } from './helpers/test-node.js';

const overflowWarnings = useTimeoutOverflowWarnings();

describe('shutdownTimeoutMs beyond 2^31-1 ms', () => {
  it('a node with shutdownTimeoutMs 3,000,000,000 stops gracefully, without a TimeoutOverflowWarning', async () => {
    const node = await startTestNode({ shutdownTimeoutMs: 3_000_000_000 });
    const client = await connectClient(node.tcpUrl, { clientId: unique('bye'), clean: false });
    let closed = false;
    client.client.on('close', () => {
      closed = true;
    });
    try {
      await node.stop();
    } finally {
      await client.end(true);
    }
    // The node closed the connection while it stopped; nothing waited days, nothing overflowed.
    await waitFor(() => closed, 5000, 'the client connection closed');
    await new Promise<void>((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
    expect(overflowWarnings()).toEqual([]);
  });
});
