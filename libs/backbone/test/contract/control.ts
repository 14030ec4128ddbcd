// Contract: node-to-node requests. A request reaches the addressed node's handler and
// resolves once that handler finished; a node nobody listens for answers at once; a node
// that does not answer in time makes the request reject.

import { expect, it } from 'vitest';
import type { ControlCommand } from '../../src/backbone.js';
import type { ContractContext } from './fixture.js';

export function controlContract(fx: ContractContext): void {
  it('delivers a request to the addressed node and waits for its handler', async () => {
    const seen: Array<{ command: ControlCommand; from: string }> = [];
    let finished = false;
    fx.b.control.onRequest(async (command, from) => {
      seen.push({ command, from });
      await new Promise((r) => setTimeout(r, 50));
      finished = true;
    });
    const answered = await fx.a.control.request(
      fx.b.nodeId,
      { type: 'takeover', clientId: `${fx.prefix}-c` },
      2000,
    );
    expect(answered).toBe(true);
    expect(finished).toBe(true);
    expect(seen).toEqual([{ command: { type: 'takeover', clientId: `${fx.prefix}-c` }, from: fx.a.nodeId }]);
  });

  it('resolves false at once for a node nobody listens for', async () => {
    const started = Date.now();
    expect(await fx.a.control.request(`${fx.prefix}-no-such-node`, { type: 'takeover' }, 2000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects when the node does not answer in time', async () => {
    fx.b.control.onRequest(() => new Promise(() => undefined));
    await expect(fx.a.control.request(fx.b.nodeId, { type: 'slow' }, 200)).rejects.toThrow(/did not answer/);
  });

  it('passes a handler failure back to the caller', async () => {
    fx.b.control.onRequest(async () => {
      throw new Error('cannot hand over');
    });
    await expect(fx.a.control.request(fx.b.nodeId, { type: 'takeover' }, 2000)).rejects.toThrow(
      /cannot hand over/,
    );
  });
}
