// uWebSockets.js must be the native addon: its pure-JS fallback (a `ws` shim) is refused,
// in-process by isNativeUws/loadUws and end to end by the node refusing to start.
import { existsSync } from 'node:fs';
import { repoRoot, runNodeExpectingFailure } from '@edgemq/testkit';
import { describe, expect, it } from 'vitest';
import { isNativeUws, loadUws, type Uws } from '../src/uws.js';

const fn = () => undefined;

describe('isNativeUws', () => {
  it('is true for the real module, which loadUws() returns', () => {
    const uws = loadUws();
    expect(typeof uws.App).toBe('function');
    expect(isNativeUws(uws)).toBe(true);
    expect(loadUws()).toBe(uws);
  });

  it.each([
    { name: 'an empty object', mod: {} },
    { name: 'App only (the fallback shape)', mod: { App: fn } },
    { name: 'no SSLApp', mod: { App: fn, getParts: fn } },
    { name: 'no getParts', mod: { App: fn, SSLApp: fn } },
    { name: 'SSLApp that is not a function', mod: { App: fn, SSLApp: {}, getParts: fn } },
  ])('is false for $name', ({ mod }) => {
    expect(isNativeUws(mod as unknown as Partial<Uws>)).toBe(false);
  });
});

describe('the node on the uWebSockets.js fallback', () => {
  it('refuses to start (UWS_USE_FALLBACK=1): non-zero exit naming the fallback', async () => {
    expect(existsSync(`${repoRoot}apps/broker/dist/main.js`), 'run `npx tsc -b` first').toBe(true);
    const { code, output } = await runNodeExpectingFailure({
      env: { UWS_USE_FALLBACK: '1', EDGEMQ_HOST: '127.0.0.1' },
      timeoutMs: 8000,
    });
    // null would mean it kept running until killed: the fallback was accepted.
    expect(code).not.toBeNull();
    expect(code).not.toBe(0);
    expect(output).toMatch(/fell back|fallback/i);
    expect(output).toMatch(/pure-JS shim/);
    expect(output).toMatch(/UWS_USE_FALLBACK/);
  });
});
