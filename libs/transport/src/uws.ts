// Loads uWebSockets.js and refuses to run on its pure-JS fallback: the package quietly
// swaps in a slow `ws`-based shim when its native binary does not load, and a broker
// that silently runs at a tenth of its speed is worse than one that does not start.

import type * as UWS from 'uWebSockets.js';
import { createRequire } from 'node:module';

export type Uws = typeof UWS;

export class NativeUwsUnavailableError extends Error {
  override name = 'NativeUwsUnavailableError';
}

/** True when `mod` is the native addon (the fallback lacks SSLApp and getParts). */
export function isNativeUws(mod: Partial<Uws>): boolean {
  return typeof mod.SSLApp === 'function' && typeof mod.getParts === 'function';
}

let loaded: Uws | undefined;

export function loadUws(): Uws {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const mod = require('uWebSockets.js') as Uws;
  if (!isNativeUws(mod)) {
    throw new NativeUwsUnavailableError(
      `uWebSockets.js fell back to its pure-JS shim (node ${process.version}, ABI ${process.versions.modules}, ` +
        `${process.platform}-${process.arch}); EdgeMQ needs the native binary. ` +
        'Unset UWS_USE_FALLBACK and run on Node 20 (linux-x64/arm64, glibc 2.17+).',
    );
  }
  loaded = mod;
  return mod;
}
