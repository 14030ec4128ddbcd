// "One client can kill a node": the three MQTT 5 packets a fuzzer found, sent exactly as it
// sent them, to a real node process (needs the built tree: `npx tsc -b`). A retained QoS 0
// PUBLISH to a topic of 4,001 levels, then a SUBSCRIBE to `#` followed by a shared filter
// with No Local (a protocol error): the recursive retained walk overflowed the stack, and the
// SUBSCRIBE handler left the `#` filter's rejected promise un-awaited, which ended the process.
// With the default limits the PUBLISH is refused (DISCONNECT 0x90); with the limits raised
// past it, the topic is stored and walked iteratively, and the SUBSCRIBE is a protocol error
// (DISCONNECT 0x82). Either way the node stays up and a `#` subscriber on another connection
// keeps getting messages.
import { existsSync } from 'node:fs';
import { repoRoot, type SpawnedNode, spawnNode } from '@edgemq/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Client5, connect5, RC } from './helpers/mqtt5.js';
import { RawClient } from './helpers/raw-client.js';
import { type TransportName, transports, unique } from './helpers/test-node.js';

const hex = (text: string) => Buffer.from(text, 'hex');
/** MQTT 5 CONNECT, clean start, keep-alive 60, client id `r`. */
const CONNECT = hex('100e00044d5154540502003c00000172');
/** Retained QoS 0 PUBLISH to `/` × 4000 (4,001 empty levels), payload `x`. */
const DEEP_PUBLISH = Buffer.concat([hex('31a41f0fa0'), Buffer.alloc(4000, 0x2f), hex('0078')]);
const DEEP_TOPIC = '/'.repeat(4000);
/** SUBSCRIBE id 1: `#` QoS 0, then `$share/g/a` with No Local [MQTT-3.8.3-4]. */
const SUBSCRIBE = hex('821400010000012300000a2473686172652f672f6104');
/** MQTT 5 reason code 0x90 Topic Name invalid. */
const TOPIC_NAME_INVALID = 0x90;

beforeAll(() => {
  if (!existsSync(`${repoRoot}apps/broker/dist/main.js`)) {
    throw new Error('apps/broker/dist/main.js is missing: run `npx tsc -b` before these tests');
  }
});

const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  // Clients first, then the node; in reverse order of start.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startNode(env: Record<string, string> = {}): Promise<SpawnedNode> {
  const node = await spawnNode({ env });
  cleanups.push(() => node.stop('SIGKILL', 2000));
  return node;
}

function urlOf(node: SpawnedNode, transport: TransportName): string {
  return transport === 'ws'
    ? `ws://127.0.0.1:${node.ports.http}/mqtt`
    : `mqtt://127.0.0.1:${node.ports.mqtt}`;
}

async function subscribeAll(node: SpawnedNode, transport: TransportName): Promise<Client5> {
  const client = await connect5(urlOf(node, transport), { clientId: unique('hash') });
  cleanups.push(() => client.end(true));
  const [grant] = await client.client.subscribeAsync('#', { qos: 1 });
  expect(grant.qos).toBe(1);
  return client;
}

/** The fuzzer's three packets in one write, as it sent them; resolves with the node's DISCONNECT. */
async function sendHostileInput(node: SpawnedNode, transport: TransportName) {
  const offender = await RawClient.openUrl(urlOf(node, transport), 5);
  cleanups.push(async () => offender.end());
  offender.sendBytes(Buffer.concat([CONNECT, DEEP_PUBLISH, SUBSCRIBE]));
  expect((await offender.next('connack')).reasonCode).toBe(RC.success);
  return offender.serverDisconnect();
}

/** The process is running and answers, and a `#` subscriber gets what is published now. */
async function stillServes(node: SpawnedNode, transport: TransportName, watchers: Client5[]) {
  expect(node.process.exitCode).toBeNull();
  expect(node.process.signalCode).toBeNull();
  expect((await fetch(`http://127.0.0.1:${node.ports.http}/healthz`)).status).toBe(200);
  // The fuzzer's packets are the client's protocol errors, not the node's internal ones.
  const metrics = await (await fetch(`http://127.0.0.1:${node.ports.http}/metrics`)).text();
  expect(metrics).toMatch(/^edgemq_connection_errors_total 0$/m);
  const publisher = await connect5(urlOf(node, transport), { clientId: unique('pub') });
  cleanups.push(() => publisher.end(true));
  const topic = `after/${unique(transport)}`;
  await publisher.client.publishAsync(topic, 'later', { qos: 1 });
  for (const watcher of watchers) {
    const [message] = await watcher.take(1);
    expect([message.topic, message.payload.toString()]).toEqual([topic, 'later']);
    expect(watcher.closed).toBe(false);
  }
}

describe.each(transports)('the fuzzer packets over %s', (transport) => {
  it('default config: the deep PUBLISH gets DISCONNECT 0x90, the node stays up and serves `#` subscribers', async () => {
    const node = await startNode();
    const watcher = await subscribeAll(node, transport);
    const disconnect = await sendHostileInput(node, transport);
    expect(disconnect.reasonCode).toBe(TOPIC_NAME_INVALID);
    // Nothing of it was stored: a new `#` subscriber gets no retained message and stays.
    const late = await subscribeAll(node, transport);
    await stillServes(node, transport, [watcher, late]);
    expect(watcher.messages.map((m) => m.topic)).not.toContain(DEEP_TOPIC);
    expect(late.messages).toHaveLength(1);
  });

  it('limits raised past the topic: it is stored and walked, the SUBSCRIBE is a protocol error (0x82), the node stays up', async () => {
    const node = await startNode({
      EDGEMQ_MQTT_MAX_TOPIC_LEVELS: '65535',
      EDGEMQ_MQTT_MAX_TOPIC_LENGTH: '65535',
    });
    const watcher = await subscribeAll(node, transport);
    const disconnect = await sendHostileInput(node, transport);
    expect(disconnect.reasonCode).toBe(RC.protocolError);
    const [live] = await watcher.take(1);
    expect(live.topic).toBe(DEEP_TOPIC);
    // A `#` subscriber coming later walks the retained index past the deep topic, gets it
    // with the retain flag, and is not disconnected for it.
    const late = await subscribeAll(node, transport);
    const [retained] = await late.take(1);
    expect([retained.topic, retained.retain]).toEqual([DEEP_TOPIC, true]);
    await stillServes(node, transport, [watcher, late]);
  });
});
