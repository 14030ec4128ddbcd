// The TimeoutOverflowWarnings this process emits during each test (an in-process node's
// timers warn here): Node fires a setTimeout past 2^31-1 ms at once and says so only this way.
import { afterEach, beforeEach } from 'vitest';

/** Collects process warnings per test; the returned function lists the timeout overflows so far. */
export function useTimeoutOverflowWarnings(): () => Error[] {
  let warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  beforeEach(() => {
    warnings = [];
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
  });
  return () => warnings.filter((w) => w.name === 'TimeoutOverflowWarning');
}
