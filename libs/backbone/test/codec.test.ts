// The log entry codec: what one node writes, every other node reads back intact, in the
// flat binary format, and entries in the earlier msgpack format still decode.

import type { Message } from '@edgemq/model';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch } from '../src/redis/codec.js';
import { fullProperties, message } from './contract/fixture.js';

describe('log entry codec', () => {
  it('round-trips every field, with and without properties and sequence numbers', () => {
    const withSeq = message('a/b', { qos: 2, retain: true, properties: fullProperties(), nodeId: 'n1' });
    withSeq.origin.seq = 2 ** 40 + 7;
    const batch: Message[] = [
      withSeq,
      message('a/b', { qos: 0, payload: '', nodeId: 'n1', clientId: 'c2', createdAtMs: 1 }),
      message('τοπικό/主题/🚀', { qos: 1, payload: Buffer.from([0, 255, 1, 254]), nodeId: 'n2' }),
      message('x', { qos: 1, nodeId: 'n1', properties: { userProperties: [] } }),
    ];
    const decoded = decodeBatch(encodeBatch(batch));
    expect(decoded).toEqual(batch);
    for (const m of decoded) expect(Buffer.isBuffer(m.payload)).toBe(true);
    expect(Buffer.isBuffer(decoded[0].properties?.correlationData)).toBe(true);
    expect(decoded[1].origin).toEqual({ nodeId: 'n1', clientId: 'c2' });
  });

  it('gives each message its own payload bytes, not a view into the entry', () => {
    const bytes = encodeBatch([message('t', { payload: 'abc' })]);
    const [decoded] = decodeBatch(bytes);
    bytes.fill(0);
    expect(decoded.payload.toString()).toBe('abc');
  });

  it('round-trips an empty batch and a large payload', () => {
    expect(decodeBatch(encodeBatch([]))).toEqual([]);
    const big = message('big', { payload: Buffer.alloc(256 * 1024, 7) });
    expect(decodeBatch(encodeBatch([big]))[0].payload.equals(big.payload)).toBe(true);
  });

  it('refuses a truncated entry and an unknown version instead of returning garbage', () => {
    const bytes = encodeBatch([message('t', { payload: 'hello' }), message('u')]);
    expect(() => decodeBatch(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
    const other = Buffer.from(bytes);
    other[1] = 99;
    expect(() => decodeBatch(other)).toThrow(/unknown format/);
  });

  it('still reads entries in the earlier msgpack format', () => {
    const packr = new Packr({ useRecords: false, moreTypes: true, copyBuffers: true, mapsAsObjects: true });
    const legacy = packr.pack([1, [['t/1', Buffer.from('old'), 1, false, 'n0', 'c0', 1234, null, 9]]]);
    expect(decodeBatch(legacy)).toEqual([
      {
        topic: 't/1',
        payload: Buffer.from('old'),
        qos: 1,
        retain: false,
        origin: { nodeId: 'n0', clientId: 'c0', seq: 9 },
        createdAtMs: 1234,
      },
    ]);
  });
});
