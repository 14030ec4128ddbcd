// A WebSocket frame is not an MQTT packet: one frame may carry part of a packet or several
// packets. These tests drive the broker with the raw client over WebSocket and hand-cut frames.
import { randomBytes } from 'node:crypto';
import { connectClient } from '@edgemq/testkit';
import { generate } from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { connectBytes, RawClient } from './helpers/raw-client.js';
import { useTestNode } from './helpers/test-node.js';

const node = useTestNode();

const opened: RawClient[] = [];
afterEach(() => Promise.all(opened.splice(0).map((raw) => raw.destroy())));

/** A raw MQTT 3.1.1 client over WebSocket; closed after the test. */
async function openRaw(): Promise<RawClient> {
  const raw = await RawClient.open(node(), 'ws', 4);
  opened.push(raw);
  return raw;
}

/** Cuts `bytes` at the given offsets: cut(b, [1, 5]) → [b[0..1), b[1..5), b[5..)]. */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const bounds = [0, ...offsets, bytes.length];
  return bounds.slice(0, -1).map((start, i) => bytes.subarray(start, bounds[i + 1]));
}

describe('MQTT over WebSocket: frames are not packets', () => {
  it('parses a CONNECT split over 3 frames (1 byte, the middle, the rest)', async () => {
    const raw = await openRaw();
    const bytes = connectBytes({ level: 4, clientId: 'split-connect' });
    expect(bytes.length).toBeGreaterThan(6);
    const frames = cut(bytes, [1, bytes.length - 3]);
    expect(frames.map((f) => f.length)).toEqual([1, bytes.length - 4, 3]);
    await raw.sendFrames(frames, 20);
    const connack = await raw.next('connack');
    expect(connack.returnCode).toBe(0);
  });

  it('handles CONNECT + SUBSCRIBE + PUBLISH coalesced in one frame', async () => {
    const raw = await openRaw();
    const topic = 'framing/coalesced';
    const frame = Buffer.concat([
      connectBytes({ level: 4, clientId: 'coalesced' }),
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
    expect(raw.received.map((p) => p.cmd)).toEqual(['connack', 'suback', 'publish']);
  });

  it('delivers a PUBLISH sent one byte per frame intact to an MQTT.js subscriber', async () => {
    const topic = 'framing/bytewise';
    const sub = await connectClient(node().tcpUrl, { clientId: 'bytewise-sub' });
    try {
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const raw = await openRaw();
      await raw.sendFrames([connectBytes({ level: 4, clientId: 'bytewise-pub' })]);
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
    const sub = await connectClient(node().wsUrl, { clientId: 'large-sub' });
    try {
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const raw = await openRaw();
      await raw.sendFrames([connectBytes({ level: 4, clientId: 'large-pub' })]);
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
    const raw = await openRaw();
    await raw.sendFrames([connectBytes({ level: 4, clientId: 'texter' })]);
    expect((await raw.next('connack')).returnCode).toBe(0);
    raw.sendText('this is text, not MQTT');
    expect(await raw.waitClosed(3000)).toBe(true);
    expect(raw.closeCode).toBe(1003);
  });

  it('closes with 1003 on a text frame even before CONNECT', async () => {
    const raw = await openRaw();
    raw.sendText(connectBytes({ level: 4, clientId: 'text-connect' }).toString('latin1'));
    expect(await raw.waitClosed(3000)).toBe(true);
    expect(raw.closeCode).toBe(1003);
    expect(raw.received).toEqual([]);
  });
});
