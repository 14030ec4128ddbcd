// A WebSocket frame is not an MQTT packet: one frame may carry part of a packet or several
// packets. These tests drive the broker with a raw `ws` client and hand-cut frames.
import { randomBytes } from 'node:crypto';
import { connectClient, sleep, waitFor } from '@edgemq/testkit';
import { generate, type Packet, parser } from 'mqtt-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestNode, type TestNode } from './helpers/test-node.js';

let node: TestNode;
beforeAll(async () => {
  node = await startTestNode();
});
afterAll(() => node.stop());

interface RawClient {
  ws: WebSocket;
  packets: Packet[];
  /** The first packet of type `cmd` not yet taken, waiting for it if needed. */
  next<C extends Packet['cmd']>(cmd: C, timeoutMs?: number): Promise<Extract<Packet, { cmd: C }>>;
  /** Close code and reason, once the socket is closed. */
  closed: Promise<{ code: number; reason: string }>;
  /** Sends each chunk as its own binary WebSocket message, in order. */
  sendFrames(chunks: Buffer[], pauseMs?: number): Promise<void>;
}

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const opened: WebSocket[] = [];
afterEach(() => {
  for (const ws of opened.splice(0)) ws.terminate();
});

async function openRaw(url: string): Promise<RawClient> {
  const ws = new WebSocket(url, 'mqtt');
  opened.push(ws);
  const packets: Packet[] = [];
  const taken = new Set<Packet>();
  const decoder = parser({ protocolVersion: 4 });
  decoder.on('packet', (packet) => packets.push(packet));
  ws.on('message', (data: Buffer) => decoder.parse(data));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = async <C extends Packet['cmd']>(cmd: C, timeoutMs = 5000) => {
    const find = () => packets.find((p) => p.cmd === cmd && !taken.has(p));
    await waitFor(() => find() !== undefined, timeoutMs, `${cmd} from the broker`);
    const packet = find()!;
    taken.add(packet);
    return packet as Extract<Packet, { cmd: C }>;
  };
  const sendFrames = async (chunks: Buffer[], pauseMs = 0) => {
    for (const chunk of chunks) {
      await new Promise<void>((resolve, reject) =>
        ws.send(chunk, { binary: true }, (err) => (err ? reject(err) : resolve())),
      );
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  return { ws, packets, next, closed, sendFrames };
}

const connectBytes = (clientId: string) =>
  generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 0 });

/** Cuts `bytes` at the given offsets: cut(b, [1, 5]) → [b[0..1), b[1..5), b[5..)]. */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const bounds = [0, ...offsets, bytes.length];
  return bounds.slice(0, -1).map((start, i) => bytes.subarray(start, bounds[i + 1]));
}

describe('MQTT over WebSocket: frames are not packets', () => {
  it('parses a CONNECT split over 3 frames (1 byte, the middle, the rest)', async () => {
    const raw = await openRaw(node.wsUrl);
    const bytes = connectBytes('split-connect');
    expect(bytes.length).toBeGreaterThan(6);
    const frames = cut(bytes, [1, bytes.length - 3]);
    expect(frames.map((f) => f.length)).toEqual([1, bytes.length - 4, 3]);
    await raw.sendFrames(frames, 20);
    const connack = await raw.next('connack');
    expect(connack.returnCode).toBe(0);
  });

  it('handles CONNECT + SUBSCRIBE + PUBLISH coalesced in one frame', async () => {
    const raw = await openRaw(node.wsUrl);
    const topic = 'framing/coalesced';
    const frame = Buffer.concat([
      connectBytes('coalesced'),
      generate({ cmd: 'subscribe', messageId: 11, subscriptions: [{ topic, qos: 0 }] }),
      generate({
        cmd: 'publish',
        topic,
        payload: Buffer.from('own message'),
        qos: 0,
        retain: false,
        dup: false,
      }),
    ]);
    await raw.sendFrames([frame]);
    const connack = await raw.next('connack');
    expect(connack.returnCode).toBe(0);
    const suback = await raw.next('suback');
    expect(suback.messageId).toBe(11);
    expect(suback.granted).toEqual([0]);
    const publish = await raw.next('publish');
    expect(publish.topic).toBe(topic);
    expect(Buffer.from(publish.payload).toString()).toBe('own message');
    // Order on the wire: CONNACK first, SUBACK before the message it subscribed to.
    expect(raw.packets.map((p) => p.cmd)).toEqual(['connack', 'suback', 'publish']);
  });

  it('delivers a PUBLISH sent one byte per frame intact to an MQTT.js subscriber', async () => {
    const topic = 'framing/bytewise';
    const sub = await connectClient(node.tcpUrl, { clientId: 'bytewise-sub' });
    try {
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const raw = await openRaw(node.wsUrl);
      await raw.sendFrames([connectBytes('bytewise-pub')]);
      expect((await raw.next('connack')).returnCode).toBe(0);

      const payload = Buffer.from('one byte per WebSocket frame, \u00e9\u00e8 \u2713');
      const bytes = generate({
        cmd: 'publish',
        topic,
        payload,
        qos: 1,
        messageId: 42,
        retain: false,
        dup: false,
      });
      const frames = cut(
        bytes,
        Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
      );
      expect(frames).toHaveLength(bytes.length);
      await raw.sendFrames(frames);

      expect((await raw.next('puback')).messageId).toBe(42);
      const [message] = await sub.take();
      expect(message.topic).toBe(topic);
      expect(message.payload.equals(payload)).toBe(true);
    } finally {
      await sub.end();
    }
  });

  it('delivers a 200 KiB PUBLISH split into 3 frames intact', async () => {
    const topic = 'framing/large';
    const sub = await connectClient(node.wsUrl, { clientId: 'large-sub' });
    try {
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const raw = await openRaw(node.wsUrl);
      await raw.sendFrames([connectBytes('large-pub')]);
      expect((await raw.next('connack')).returnCode).toBe(0);

      const payload = randomBytes(200 * 1024);
      const bytes = generate({
        cmd: 'publish',
        topic,
        payload,
        qos: 1,
        messageId: 7,
        retain: false,
        dup: false,
      });
      // Cut inside the fixed header's length bytes, then mid-payload.
      await raw.sendFrames(cut(bytes, [2, 120_001]), 10);

      expect((await raw.next('puback')).messageId).toBe(7);
      const [message] = await sub.take();
      expect(message.topic).toBe(topic);
      expect(message.payload.length).toBe(payload.length);
      expect(message.payload.equals(payload)).toBe(true);
    } finally {
      await sub.end();
    }
  });

  it('closes the socket with 1003 on a text frame [MQTT-6.0.0-1]', async () => {
    const raw = await openRaw(node.wsUrl);
    await raw.sendFrames([connectBytes('texter')]);
    expect((await raw.next('connack')).returnCode).toBe(0);
    raw.ws.send('this is text, not MQTT', { binary: false });
    const { code } = await within(raw.closed, 3000, 'the socket to close');
    expect(code).toBe(1003);
  });

  it('closes with 1003 on a text frame even before CONNECT', async () => {
    const raw = await openRaw(node.wsUrl);
    raw.ws.send(connectBytes('text-connect').toString('latin1'), { binary: false });
    const { code } = await within(raw.closed, 3000, 'the socket to close');
    expect(code).toBe(1003);
    expect(raw.packets).toEqual([]);
  });
});
