// The connection's error boundary: an exception or rejection raised while one connection's
// input is handled (here an access provider with a bug, thrown synchronously on PUBLISH and
// rejected asynchronously on SUBSCRIBE) closes that connection only, 5.0 with DISCONNECT
// 0x83, is logged once at warn with the client id and counted (connectionErrors, exported as
// edgemq_connection_errors_total); other clients go on. And a SUBSCRIBE whose later filter
// is a protocol error leaves no earlier filter's work un-awaited.
import { type AccessControl, allowAll } from '@edgemq/access';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReasonCode } from '../src/index.js';
import { createMqttHarness, type MqttHarness, type MqttLevel, type MqttTestClient } from './harness.js';

/** allowAll, except that it has a bug on the topics and filters starting with `boom`. */
const buggyAccess: AccessControl = {
  authenticate: allowAll.authenticate,
  authorizePublish: (_client, topic) => {
    if (topic.startsWith('boom')) throw new TypeError('provider bug on publish');
    return true;
  },
  authorizeSubscribe: (_client, filter) =>
    filter.startsWith('boom') ? Promise.reject(new TypeError('provider bug on subscribe')) : true,
};

let harness: MqttHarness;

beforeEach(async () => {
  harness = await createMqttHarness({ access: buggyAccess });
});

afterEach(() => harness.stop());

/** A client on another connection, subscribed to `ok/#` before the failure. */
async function bystander(): Promise<MqttTestClient> {
  const client = await harness.connect(5, { clientId: 'bystander' });
  client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ok/#', qos: 0 }] });
  await client.next('suback');
  return client;
}

/** The bystander still gets what another client publishes after the failure. */
async function stillServes(by: MqttTestClient): Promise<void> {
  const publisher = await harness.connect(4, { clientId: 'publisher' });
  publisher.send({
    cmd: 'publish',
    topic: 'ok/after',
    payload: Buffer.from('later'),
    qos: 0,
    retain: false,
    dup: false,
  });
  const message = await by.next('publish');
  expect([message.topic, message.payload.toString()]).toEqual(['ok/after', 'later']);
  expect(by.closed).toBe(false);
}

function internalErrorWarnings(clientId: string) {
  return harness.log.filter(
    (line) => line.level === 'warn' && (line.context as { clientId?: string }).clientId === clientId,
  );
}

describe.each([5, 4] as MqttLevel[])('an exception inside a handler, MQTT level %i', (level) => {
  const v5 = level === 5;

  it('a synchronous throw (PUBLISH) closes only that connection, is logged once and counted', async () => {
    const by = await bystander();
    const victim = await harness.connect(level, { clientId: 'victim-pub' });
    victim.send({
      cmd: 'publish',
      topic: 'boom/x',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
    });
    expect(await victim.waitClosed()).toBe(true);
    const disconnects = victim.untaken('disconnect');
    if (v5) expect(disconnects.map((d) => d.reasonCode)).toEqual([ReasonCode.implementationSpecificError]);
    else expect(disconnects).toEqual([]);
    expect(harness.broker.counters.connectionErrors).toBe(1);
    expect(internalErrorWarnings('victim-pub')).toHaveLength(1);
    await stillServes(by);
    expect(harness.broker.counters.connectionErrors).toBe(1);
  });

  it('an asynchronous rejection (SUBSCRIBE) closes only that connection, is logged once and counted', async () => {
    const by = await bystander();
    const victim = await harness.connect(level, { clientId: 'victim-sub' });
    victim.send({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'boom/#', qos: 1 }] });
    expect(await victim.waitClosed()).toBe(true);
    expect(victim.untaken('suback')).toEqual([]);
    const disconnects = victim.untaken('disconnect');
    if (v5) expect(disconnects.map((d) => d.reasonCode)).toEqual([ReasonCode.implementationSpecificError]);
    else expect(disconnects).toEqual([]);
    expect(harness.broker.counters.connectionErrors).toBe(1);
    expect(internalErrorWarnings('victim-sub')).toHaveLength(1);
    await stillServes(by);
  });
});

describe('SUBSCRIBE with a protocol error in a later filter', () => {
  it('[MQTT-3.8.3-4] refuses the packet before any earlier filter is started: nothing is left un-awaited', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const client = await harness.connect(5, { clientId: 'late-protocol-error' });
      // The first filter's access check rejects (a grant under way that fails later); the
      // second, No Local on a shared subscription, makes the whole SUBSCRIBE a protocol error.
      client.send({
        cmd: 'subscribe',
        messageId: 3,
        subscriptions: [
          { topic: 'boom/#', qos: 0 },
          { topic: '$share/g/a', qos: 0, nl: true },
        ],
      });
      const disconnect = await client.next('disconnect');
      expect(disconnect.reasonCode).toBe(ReasonCode.protocolError);
      expect(await client.waitClosed()).toBe(true);
      // A rejection nobody awaits is reported once the microtasks have run: one turn is enough.
      await new Promise(setImmediate);
      expect(unhandled).toEqual([]);
      expect(harness.broker.subscriptionCount).toBe(0);
      // A protocol error is the client's, not the node's: not counted as an internal error.
      expect(harness.broker.counters.connectionErrors).toBe(0);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
