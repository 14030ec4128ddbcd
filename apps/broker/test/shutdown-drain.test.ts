// SIGTERM while the node is busy (reliability issue, defect 10): every MQTT 5 client gets
// DISCONNECT 0x8B (server shutting down) before its socket closes, over TCP and WebSocket,
// including publishers in mid-stream and subscribers that read slowly, whose DISCONNECT
// waits behind a full output buffer. The race showed in a few runs out of twenty, so the
// run is repeated. Needs the built tree (`npx tsc -b`): the node is bin/edgemq.
import { existsSync } from 'node:fs';
import { repoRoot, type SpawnedNode, spawnNode, waitFor } from '@edgemq/testkit';
import type { IDisconnectPacket, Packet } from 'mqtt-packet';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';

const RUNS = 5;
const SERVER_SHUTTING_DOWN = 0x8b;
/** The node's default shutdown timeout is 5 s; the clients get a little more to see their close. */
const CLOSE_WITHIN_MS = 8000;

const running: SpawnedNode[] = [];
const clients: RawClient[] = [];
const stopSending: Array<() => void> = [];

beforeAll(() => {
  if (!existsSync(`${repoRoot}apps/broker/dist/main.js`)) {
    throw new Error('apps/broker/dist/main.js is missing: run `npx tsc -b` before these tests');
  }
});

afterEach(async () => {
  for (const stop of stopSending.splice(0)) stop();
  await Promise.all(clients.splice(0).map((c) => c.destroy().catch(() => undefined)));
  await Promise.all(running.splice(0).map((n) => n.stop('SIGKILL', 2000)));
});

async function connected(url: string, clientId: string): Promise<RawClient> {
  const client = await RawClient.openUrl(url, 5);
  clients.push(client);
  names.set(client, clientId);
  const connack = await client.connect({ clientId });
  expect(connack.reasonCode).toBe(0);
  return client;
}

const PAYLOAD = Buffer.alloc(1024, 0x61);

/**
 * Publishes QoS 0 and 1 to `topic` as fast as the socket takes them (each batch waits only
 * for the previous one to be handed to the socket), until the node's DISCONNECT arrives.
 */
function publishFlat(client: RawClient, topic: string): void {
  let stopped = false;
  stopSending.push(() => {
    stopped = true;
  });
  let id = 0;
  const batch = () => {
    const packets: Packet[] = [];
    for (let i = 0; i < 16; i++) {
      const qos = (i % 2) as 0 | 1;
      if (qos === 1) id = (id % 60_000) + 1;
      packets.push({
        cmd: 'publish',
        topic,
        payload: PAYLOAD,
        qos,
        retain: false,
        dup: false,
        messageId: qos ? id : undefined,
      });
    }
    return Buffer.concat(packets.map((p) => client.encode(p)));
  };
  const loop = async () => {
    while (!stopped && !client.closed && client.untaken('disconnect').length === 0) {
      await client.sendFrames([batch()]).catch(() => {
        stopped = true;
      });
      // A write the kernel takes at once calls back on the next tick: yield, so reads happen.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  void loop();
}

/** Reads in short bursts: the node's output to this client backs up (pause, then resume every 20 ms). */
function readSlowly(client: RawClient): void {
  client.pause();
  const timer = setInterval(() => {
    client.resume();
    setTimeout(() => client.pause(), 1);
  }, 20);
  stopSending.push(() => clearInterval(timer));
}

const disconnectOf = (client: RawClient) =>
  client.received.find((p): p is IDisconnectPacket => p.cmd === 'disconnect');
/** Client ids, for the failure message. */
const names = new Map<RawClient, string>();

describe('SIGTERM while publishers stream and subscribers read slowly', () => {
  it.each(Array.from({ length: RUNS }, (_, i) => i + 1))(
    'run %i: every MQTT 5 client, TCP and WebSocket, gets DISCONNECT 0x8B before its socket closes',
    async (run) => {
      const node = await spawnNode();
      running.push(node);
      const urls = {
        tcp: `mqtt://127.0.0.1:${node.ports.mqtt}`,
        ws: `ws://127.0.0.1:${node.ports.http}/mqtt`,
      };
      const subscribers: RawClient[] = [];
      const publishers: RawClient[] = [];
      for (const [transport, url] of Object.entries(urls)) {
        for (const qos of [0, 1] as const) {
          const sub = await connected(url, `drain-${run}-sub-${transport}-${qos}`);
          sub.autoAck = true;
          await sub.subscribe([{ topic: 'drain/#', qos }]);
          readSlowly(sub);
          subscribers.push(sub);
        }
        for (const n of [1, 2]) {
          const pub = await connected(url, `drain-${run}-pub-${transport}-${n}`);
          publishFlat(pub, `drain/${transport}/${n}`);
          publishers.push(pub);
        }
      }
      // Mid-stream: every publisher has been acknowledged, every subscriber is receiving.
      await waitFor(
        () =>
          publishers.every((p) => p.untaken('puback').length > 0) &&
          subscribers.every((s) => s.untaken('publish').length >= 20),
        10_000,
        'traffic through every client',
      );

      // One signal only (a second one means "exit now"): the exit is awaited, not asked for again.
      const exited = new Promise<number | null>((resolve) => node.process.once('exit', resolve));
      node.process.kill('SIGTERM');
      const signalledAtMs = Date.now();
      const all = [...publishers, ...subscribers];
      // Slow readers go on reading slowly: their DISCONNECT waits behind what is buffered.
      await waitFor(() => all.every((c) => c.closed), CLOSE_WITHIN_MS, 'every client to be closed');
      const missing = all
        .filter((c) => disconnectOf(c)?.reasonCode !== SERVER_SHUTTING_DOWN)
        .map(
          (c) =>
            `${names.get(c)}: ${JSON.stringify(disconnectOf(c) ?? 'no DISCONNECT')}, close code ${c.closeCode}, ` +
            `closed ${(c.closedAtMs ?? 0) - signalledAtMs} ms after SIGTERM, ${c.received.length} packets`,
        );
      expect(missing, 'clients closed without DISCONNECT 0x8B').toEqual([]);
      for (const client of all) {
        expect(client.decodeErrors).toEqual([]);
        // DISCONNECT is the last packet [MQTT-3.14.4-1].
        expect(client.received.at(-1)?.cmd).toBe('disconnect');
      }
      expect(await exited, node.output()).toBe(0);
    },
    30_000,
  );
});
