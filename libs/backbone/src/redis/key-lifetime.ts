// When Redis deletes a session's keys on its own: GC_GRACE_MS after the session's expiry,
// so a node whose timer is a little late still finds the record it is about to delete.
// The time goes to PEXPIREAT as an integer string built here, never as a Lua number (Lua
// prints large numbers in exponent notation, which Redis refuses). An expiry too far ahead
// for an exact integer (MQTT 5 allows 0xFFFFFFFF s, which the broker passes as null:
// never) gets no TTL at all: Redis keeps the keys, as it does for a session that never
// expires.

/** How long Redis keeps an expired record (and its queue) before deleting it itself. */
export const GC_GRACE_MS = 60_000;

/** The PEXPIREAT time (epoch ms) for a session expiring at `expiresAtMs`, or '' for none. */
export function removalTime(expiresAtMs: number | null): string {
  if (expiresAtMs === null) return '';
  const at = Math.ceil(expiresAtMs + GC_GRACE_MS);
  if (!Number.isSafeInteger(at)) return '';
  // Long past (or before the epoch): due at once, as PEXPIREAT with a time gone by.
  return String(Math.max(1, at));
}
