// Config values that become timers: each is accepted over exactly the range its timer can
// take. Long ones (session expiry, shutdown wait) go up to what MQTT or the config allows
// and wait on setLongTimeout; the WebSocket idle timeout is uWebSockets.js's own, which
// aborts the process outside 0 or 8..960 s, so the schema refuses anything else.
import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../src/index.js';

const accepts = (input: object) => configSchema.safeParse(input).success;

describe('timer ranges in the config', () => {
  it('http.idleTimeoutSec: 0 or 8..960, what uWebSockets.js takes without aborting', () => {
    for (const sec of [0, 8, 120, 960]) expect(accepts({ http: { idleTimeoutSec: sec } })).toBe(true);
    for (const sec of [1, 7, 961, 3_000_000]) expect(accepts({ http: { idleTimeoutSec: sec } })).toBe(false);
  });

  it('mqtt.persistentSessionExpirySec: 2 hours by default, 1..4294967295 (never), set by its env var', () => {
    expect(configSchema.parse({}).mqtt.persistentSessionExpirySec).toBe(7200);
    expect(accepts({ mqtt: { persistentSessionExpirySec: 0xffffffff } })).toBe(true);
    expect(accepts({ mqtt: { persistentSessionExpirySec: 0 } })).toBe(false);
    expect(accepts({ mqtt: { persistentSessionExpirySec: 0x100000000 } })).toBe(false);
    const config = loadConfig({ argv: [], env: { EDGEMQ_MQTT_PERSISTENT_SESSION_EXPIRY_SEC: '3000000' } });
    expect(config.mqtt.persistentSessionExpirySec).toBe(3_000_000);
  });

  it('shutdownTimeoutMs beyond 2^31-1 ms is accepted (the node waits on setLongTimeout)', () => {
    expect(accepts({ shutdownTimeoutMs: 3_000_000_000 })).toBe(true);
  });
});
