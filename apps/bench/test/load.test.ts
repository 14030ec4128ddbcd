// The load generator's wire code: templates patched in place must be packets a real parser
// (mqtt-packet) reads back, and the splitter must find every packet however the bytes are cut.
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { fillPublishBatch, messageIdOf, publishTemplate, subscribePacket } from '../src/load/packets.js';
import { PacketReader } from '../src/load/reader.js';
import { fileStamp, markdownTable } from '../src/report/report.js';

function parseAll(bytes: Buffer): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: mqttPacket.Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  parser.on('error', (err) => {
    throw err;
  });
  parser.parse(bytes);
  return packets;
}

describe('publish batches', () => {
  it.each([0, 1] as const)('QoS %i: mqtt-packet reads id, sequence, time and packet id back', (qos) => {
    const t = publishTemplate('bench/pair/7', 64, qos);
    const batch = fillPublishBatch(t, 3, 7, 65535, 1234.5);
    const packets = parseAll(batch) as mqttPacket.IPublishPacket[];
    expect(packets).toHaveLength(3);
    packets.forEach((p, i) => {
      expect(p.topic).toBe('bench/pair/7');
      expect(p.qos).toBe(qos);
      const payload = p.payload as Buffer;
      expect(payload).toHaveLength(64);
      expect(payload.readUInt32LE(0)).toBe(7);
      expect(payload.readUInt32LE(4)).toBe(65535 + i);
      expect(payload.readDoubleLE(8)).toBe(1234.5);
      if (qos === 1) expect(p.messageId).toBe(messageIdOf(65535 + i));
    });
    if (qos === 1) expect(packets.map((p) => p.messageId)).toEqual([65535, 1, 2]);
  });

  it('a 64 KiB payload gets a multi-byte remaining length and still parses', () => {
    const t = publishTemplate('bench/pair/0', 65536, 0);
    const [p] = parseAll(fillPublishBatch(t, 1, 0, 1, 1)) as mqttPacket.IPublishPacket[];
    expect((p.payload as Buffer).length).toBe(65536);
  });
});

describe('PacketReader', () => {
  const stream = Buffer.concat([
    subscribePacket(1, ['a/b'], 0),
    fillPublishBatch(publishTemplate('x', 16, 0), 2, 1, 1, 1),
    fillPublishBatch(publishTemplate('big', 70_000, 1), 1, 2, 1, 1),
    fillPublishBatch(publishTemplate('y', 20, 1), 1, 3, 5, 1),
  ]);
  const expected = parseAll(stream).map((p) => p.cmd);

  function split(chunks: Buffer[]): string[] {
    const seen: string[] = [];
    const reader = new PacketReader((buf, type, _flags, start, end) => {
      const packet = parseAll(Buffer.concat([buf.subarray(start - 1 - lengthBytes(end - start), end)]));
      expect(packet).toHaveLength(1);
      seen.push(packet[0].cmd);
      expect(type).toBe(buf[start - 1 - lengthBytes(end - start)] >> 4);
    });
    for (const c of chunks) reader.push(c);
    return seen;
  }

  it('finds every packet in one chunk', () => {
    expect(split([stream])).toEqual(expected);
  });

  it('finds every packet when cut at every byte boundary of the headers', () => {
    for (let cut = 1; cut < 12; cut++) {
      expect(split([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(expected);
    }
  });

  it('finds every packet in chunks of 1, 7 and 1000 bytes', () => {
    for (const size of [1, 7, 1000]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      expect(split(chunks)).toEqual(expected);
    }
  });
});

/** Bytes of the remaining-length field for a body of `n` bytes. */
function lengthBytes(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

describe('report helpers', () => {
  it('stamps files in ISO 8601 basic format', () => {
    expect(fileStamp('2026-11-22T04:10:00.123Z')).toBe('20261122T041000Z');
  });

  it('aligns the first column left and the rest right', () => {
    expect(markdownTable(['a', 'b'], [['x', '1']])).toBe('| a | b |\n| :-- | --: |\n| x | 1 |');
  });
});
