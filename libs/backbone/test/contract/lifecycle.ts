// Contract: start/stop/isReady and identity.

import { expect, it } from 'vitest';
import type { ContractContext } from './fixture.js';

export function lifecycleContract(fx: ContractContext): void {
  it('hands out started, ready nodes with distinct ids and a kind', () => {
    expect(fx.a.isReady()).toBe(true);
    expect(fx.b.isReady()).toBe(true);
    expect(fx.a.nodeId).not.toBe(fx.b.nodeId);
    expect(fx.a.nodeId.length).toBeGreaterThan(0);
    expect(fx.a.kind.length).toBeGreaterThan(0);
    expect(fx.b.kind).toBe(fx.a.kind);
  });

  it('is not ready after stop, and stop may be called twice', async () => {
    await fx.a.stop();
    expect(fx.a.isReady()).toBe(false);
    await fx.a.stop();
    expect(fx.a.isReady()).toBe(false);
    expect(fx.b.isReady()).toBe(true);
  });
}
