// MqttServer.closeAll, the node's graceful stop, through the in-memory harness: a 5.0 client
// whose CONNECT is still being handled is told DISCONNECT 0x8B (server shutting down) too,
// after its CONNACK ([MQTT-3.14.0-1]: no DISCONNECT before a successful CONNACK), and
// closeAll waits for it. Busy clients over real sockets: apps/broker/test/shutdown-drain.test.ts.
import type { AccessControl, AuthenticationResult, ConnectInfo } from '@edgemq/access';
import { allowAll } from '@edgemq/access';
import { afterEach, describe, expect, it } from 'vitest';
import { createMqttHarness, type MqttHarness, until } from './harness.js';

let h: MqttHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** allowAll, except that authentication waits until release() (a slow provider). */
function slowAuthentication(): { access: AccessControl; asked: () => boolean; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let asked = false;
  const access: AccessControl = {
    ...allowAll,
    allowsEverything: false,
    authenticate: async (info: ConnectInfo): Promise<AuthenticationResult> => {
      asked = true;
      await gate;
      return allowAll.authenticate(info) as AuthenticationResult;
    },
  };
  return { access, asked: () => asked, release };
}

describe('closeAll (node shutdown)', () => {
  it('a 5.0 client still in CONNECT handling gets CONNACK, then DISCONNECT 0x8B, and closeAll waits for it', async () => {
    const slow = slowAuthentication();
    h = await createMqttHarness({ access: slow.access });
    const client = h.open(5);
    client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 0,
      clientId: 'connecting-at-shutdown',
    });
    await until(slow.asked, 5000, 'authentication to be asked');
    let done = false;
    const closing = h.server.closeAll().then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(client.received).toEqual([]);
    slow.release();
    await closing;
    expect(done).toBe(true);
    expect(client.received.map((p) => [p.cmd, (p as { reasonCode?: number }).reasonCode])).toEqual([
      ['connack', 0],
      ['disconnect', 0x8b],
    ]);
    expect(client.closed).toBe(true);
  });
});
