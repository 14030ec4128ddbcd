import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { MqttError } from '../src/errors.js';
import { Framer } from '../src/framer.js';
import { ReasonCode } from '../src/reason-codes.js';

const publish = (topic: string, size: number) =>
  mqttPacket.generate({
    cmd: 'publish',
    topic,
    payload: Buffer.alloc(size, 7),
    qos: 0,
    dup: false,
    retain: false,
  });

describe('Framer', () => {
  it('returns a packet split over several chunks once it is whole', () => {
    const framer = new Framer(1 << 20);
    const bytes = publish('a/b', 300); // two remaining-length bytes
    expect(framer.push(bytes.subarray(0, 1))).toEqual([]);
    expect(framer.push(bytes.subarray(1, 2))).toEqual([]);
    expect(framer.push(bytes.subarray(2, 100))).toEqual([]);
    const [packet] = framer.push(bytes.subarray(100));
    expect(packet.equals(bytes)).toBe(true);
  });

  it('returns every packet of a chunk holding several, keeping the partial rest', () => {
    const framer = new Framer(1 << 20);
    const a = publish('a', 10);
    const b = publish('b', 200);
    const c = publish('c', 5);
    const all = Buffer.concat([a, b, c]);
    const first = framer.push(all.subarray(0, a.length + b.length + 2));
    expect(first.map((p) => p.length)).toEqual([a.length, b.length]);
    const second = framer.push(all.subarray(a.length + b.length + 2));
    expect(second[0].equals(c)).toBe(true);
  });

  it('handles zero-length packets (PINGREQ) back to back', () => {
    const framer = new Framer(1 << 20);
    expect(framer.push(Buffer.from([0xc0, 0x00, 0xc0, 0x00]))).toHaveLength(2);
  });

  it('[MQTT-1.5.5] refuses a remaining length of more than 4 bytes as malformed', () => {
    const framer = new Framer(1 << 30);
    expect(() => framer.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(MqttError);
  });

  it('refuses a packet above the maximum size before its body arrives', () => {
    const framer = new Framer(1024);
    const big = publish('a', 4096);
    try {
      framer.push(big.subarray(0, 5));
      expect.unreachable('should have thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(MqttError);
      expect((error as MqttError).reasonCode).toBe(ReasonCode.packetTooLarge);
    }
  });

  it('accepts a packet of exactly the maximum size', () => {
    const bytes = publish('a', 100);
    expect(new Framer(bytes.length).push(bytes)).toHaveLength(1);
    expect(() => new Framer(bytes.length - 1).push(bytes)).toThrow(MqttError);
  });
});
