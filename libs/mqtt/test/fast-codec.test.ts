// The fast codec (fast-codec.ts) against mqtt-packet: what it decodes must read exactly as
// mqtt-packet reads it, what it leaves alone must go to mqtt-packet (and fail there as
// before), and what it encodes must be what mqtt-packet would send or parse back the same.
import mqttPacket, {
  type IConnectPacket,
  type IPublishPacket,
  type IUnsubscribePacket,
  type Packet,
} from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { MqttError } from '../src/errors.js';
import {
  checkPublishTopic,
  decodeFast,
  encodeAck,
  encodePublish,
  encodePublishProperties,
  PINGRESP_BYTES,
  TopicCache,
} from '../src/fast-codec.js';
import { Framer } from '../src/framer.js';
import { decoderFor, type ProtocolVersion } from '../src/packet-codec.js';
import { ReasonCode } from '../src/reason-codes.js';
import { checkConnectStrings, checkTopicFilters } from '../src/utf8-check.js';

const versions: ProtocolVersion[] = [3, 4, 5];

/** mqtt-packet's reading of one whole packet (a fresh parser each time). */
function slowDecode(bytes: Buffer, version: ProtocolVersion): Packet {
  let packet: Packet | undefined;
  let error: Error | undefined;
  const parser = mqttPacket.parser({ protocolVersion: version });
  parser.on('packet', (p: Packet) => {
    packet = p;
  });
  parser.on('error', (e: Error) => {
    error = e;
  });
  parser.parse(Buffer.from(bytes));
  if (error) throw error;
  if (!packet) throw new Error('incomplete');
  return packet;
}

/** What the broker does with a packet: the fast codec first, mqtt-packet for the rest. */
function decode(bytes: Buffer, version: ProtocolVersion): Packet {
  return decodeFast(bytes, version) ?? decoderFor(version).decode(Buffer.from(bytes));
}

const generate = (packet: Packet, version: ProtocolVersion) =>
  mqttPacket.generate(packet, { protocolVersion: version });

/** The fields a handler reads from a PUBLISH. */
function publishFields(p: Packet) {
  const publish = p as IPublishPacket;
  return {
    cmd: publish.cmd,
    topic: publish.topic,
    payload: Buffer.from(publish.payload),
    qos: publish.qos,
    retain: publish.retain,
    dup: publish.dup,
    messageId: publish.qos > 0 ? publish.messageId : undefined,
    properties: publish.properties,
  };
}

const topics = ['a', 'sensors/temp/kitchen', 'ünïcödé/✓/𝄞', 'x'.repeat(300)];
const payloadSizes = [0, 1, 64, 127, 128, 16_383, 16_384, 200_000];

describe('decodeFast: PUBLISH', () => {
  for (const version of versions) {
    for (const qos of [0, 1, 2] as const) {
      it(`reads v${version} QoS ${qos} as mqtt-packet does (topics, payload sizes, retain, dup)`, () => {
        let n = 0;
        for (const topic of topics) {
          for (const size of payloadSizes) {
            const packet: IPublishPacket = {
              cmd: 'publish',
              topic,
              payload: Buffer.alloc(size, n % 251),
              qos,
              retain: n % 2 === 0,
              dup: qos > 0 && n % 3 === 0,
              ...(qos > 0 ? { messageId: 1 + ((n * 7919) % 65535) } : {}),
            };
            n++;
            const bytes = generate(packet, version);
            const fast = decodeFast(bytes, version);
            expect(fast).toBeDefined();
            const [ours, theirs] = [publishFields(fast!), publishFields(slowDecode(bytes, version))];
            expect(ours.payload.equals(theirs.payload)).toBe(true);
            expect({ ...ours, payload: undefined }).toEqual({ ...theirs, payload: undefined });
          }
        }
      });
    }
  }

  it('copies the payload: the packet bytes may be reused afterwards', () => {
    const bytes = generate(
      {
        cmd: 'publish',
        topic: 't',
        payload: Buffer.from('hello'),
        qos: 1,
        messageId: 5,
        retain: false,
        dup: false,
      },
      4,
    );
    const packet = decodeFast(bytes, 4) as IPublishPacket;
    bytes.fill(0);
    expect(packet.topic).toBe('t');
    expect(Buffer.from(packet.payload).toString()).toBe('hello');
    expect(packet.messageId).toBe(5);
  });

  it('leaves a 5.0 PUBLISH with properties to mqtt-packet, which reads them', () => {
    const bytes = generate(
      {
        cmd: 'publish',
        topic: 't/p',
        payload: Buffer.from('x'),
        qos: 1,
        messageId: 9,
        retain: false,
        dup: false,
        properties: { topicAlias: 3, userProperties: { a: '1' }, contentType: 'text/plain' },
      },
      5,
    );
    expect(decodeFast(bytes, 5)).toBeUndefined();
    const packet = decode(bytes, 5) as IPublishPacket;
    expect(packet.properties).toMatchObject({ topicAlias: 3, contentType: 'text/plain' });
  });

  it('reads a 5.0 PUBLISH with an empty property section', () => {
    const bytes = generate(
      { cmd: 'publish', topic: 'e', payload: Buffer.from('p'), qos: 0, retain: true, dup: false },
      5,
    );
    expect(decodeFast(bytes, 5)).toMatchObject({ topic: 'e', retain: true, qos: 0 });
  });
});

describe('decodeFast: acknowledgements and PINGREQ', () => {
  for (const version of versions) {
    for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
      it(`reads v${version} ${cmd} as mqtt-packet does`, () => {
        for (const messageId of [1, 255, 256, 65535]) {
          // At 5.0 mqtt-packet writes reason code 0 out (and a property length) unless told 0.
          const forms: Packet[] = [{ cmd, messageId } as Packet];
          if (version === 5) forms.push({ cmd, messageId, reasonCode: 0 } as Packet);
          for (const form of forms) {
            const bytes = generate(form, version);
            const fast = decodeFast(bytes, version);
            const slow = slowDecode(bytes, version) as Packet & { messageId: number; reasonCode?: number };
            expect(fast).toMatchObject({ cmd, messageId: slow.messageId });
            if (version === 5) expect((fast as { reasonCode?: number }).reasonCode).toBe(slow.reasonCode);
          }
        }
      });
    }
    it(`reads a v${version} PINGREQ`, () => {
      expect(decodeFast(generate({ cmd: 'pingreq' }, version), version)).toEqual({ cmd: 'pingreq' });
    });
  }

  it('reads a 5.0 ack with reason code 0 written out (with or without a property length)', () => {
    for (const raw of [
      [0x40, 0x03, 0x01, 0x02, 0x00],
      [0x50, 0x04, 0x01, 0x02, 0x00, 0x00],
    ]) {
      const bytes = Buffer.from(raw);
      const fast = decodeFast(bytes, 5);
      expect(fast).toMatchObject({ messageId: 0x102, reasonCode: 0 });
      expect(fast).toMatchObject({ cmd: slowDecode(bytes, 5).cmd });
    }
    // 3.1.1 has no reason code: a longer ack is mqtt-packet's to read.
    expect(decodeFast(Buffer.from([0x40, 0x03, 0x01, 0x02, 0x00]), 4)).toBeUndefined();
  });

  it('leaves a 5.0 ack with a reason code or properties to mqtt-packet', () => {
    const withCode = generate({ cmd: 'puback', messageId: 3, reasonCode: 0x10 }, 5);
    expect(decodeFast(withCode, 5)).toBeUndefined();
    expect(decode(withCode, 5)).toMatchObject({ cmd: 'puback', messageId: 3, reasonCode: 0x10 });
    const withProps = generate(
      { cmd: 'pubrec', messageId: 4, reasonCode: 0x80, properties: { reasonString: 'no' } },
      5,
    );
    expect(decodeFast(withProps, 5)).toBeUndefined();
    expect(decode(withProps, 5)).toMatchObject({ cmd: 'pubrec', messageId: 4, reasonCode: 0x80 });
  });

  it('leaves other packets (CONNECT, SUBSCRIBE, DISCONNECT…) to mqtt-packet', () => {
    const others: Packet[] = [
      { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'c', clean: true, keepalive: 0 },
      { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#', qos: 1 }] },
      { cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['a/#'] },
      { cmd: 'disconnect' },
    ];
    for (const packet of others) expect(decodeFast(generate(packet, 4), 4)).toBeUndefined();
  });
});

describe('malformed packets go to mqtt-packet and fail as they did', () => {
  const cases: Array<[string, number[], ProtocolVersion[]]> = [
    ['PUBLISH with both QoS bits set', [0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01], [3, 4, 5]],
    ['PUBLISH whose topic runs past the packet', [0x30, 0x03, 0x00, 0x05, 0x61], [3, 4, 5]],
    ['PUBLISH with no topic length', [0x30, 0x01, 0x00], [3, 4, 5]],
    ['PUBREL with flags 0', [0x60, 0x02, 0x00, 0x01], [3, 4, 5]],
    ['PUBACK with flags set', [0x42, 0x02, 0x00, 0x01], [3, 4, 5]],
    ['PINGREQ with flags set', [0xc1, 0x00], [3, 4, 5]],
    ['5.0 PUBACK with an invalid reason code', [0x40, 0x03, 0x00, 0x01, 0x05], [5]],
    ['5.0 PUBLISH with an unknown property', [0x30, 0x06, 0x00, 0x01, 0x61, 0x02, 0x7f, 0x00], [5]],
  ];
  for (const [name, raw, vs] of cases) {
    for (const version of vs) {
      it(`${name} (v${version})`, () => {
        const bytes = Buffer.from(raw);
        expect(decodeFast(bytes, version)).toBeUndefined();
        let slowError: unknown;
        try {
          slowDecode(bytes, version);
        } catch (e) {
          slowError = e;
        }
        expect(slowError).toBeInstanceOf(Error);
        expect(() => decode(bytes, version)).toThrow(MqttError);
        try {
          decode(bytes, version);
        } catch (e) {
          expect((e as MqttError).reasonCode).toBe(ReasonCode.malformedPacket);
          expect((e as MqttError).message).toBe((slowError as Error).message);
        }
      });
    }
  }

  it('a QoS 1 PUBLISH cut before its packet id is left to mqtt-packet (which reads id -1)', () => {
    const bytes = Buffer.from([0x32, 0x03, 0x00, 0x01, 0x61]);
    expect(decodeFast(bytes, 4)).toBeUndefined();
    expect(decode(bytes, 4)).toMatchObject({ cmd: 'publish', messageId: -1 });
  });

  it('a malformed packet does not spoil the shared decoder for the next one', () => {
    expect(() => decode(Buffer.from([0x82, 0x03, 0x00, 0x01, 0x00]), 4)).toThrow(MqttError);
    const ok = generate({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'x', qos: 0 }] }, 4);
    expect(decode(ok, 4)).toMatchObject({ cmd: 'subscribe', messageId: 7 });
  });

  it('an incomplete body is refused as malformed, and the decoder recovers', () => {
    // A 5.0 SUBSCRIBE whose property length claims more than there is.
    expect(() => decode(Buffer.from([0x82, 0x04, 0x00, 0x01, 0x05, 0x00]), 5)).toThrow(MqttError);
    const ok = generate({ cmd: 'unsubscribe', messageId: 8, unsubscriptions: ['y'] }, 5);
    expect(decode(ok, 5)).toMatchObject({ cmd: 'unsubscribe', messageId: 8 });
  });
});

describe('checkPublishTopic: the topic bytes of every PUBLISH, whichever decoder reads it', () => {
  /** A QoS 1 PUBLISH (id 1) with these topic bytes; at 5.0 with these properties. */
  function publishWith(topic: number[], properties?: number[]): Buffer {
    const props = properties ? [properties.length, ...properties] : [];
    const body = [topic.length >> 8, topic.length & 0xff, ...topic, 0x00, 0x01, ...props, 0x70];
    const length = body.length < 128 ? [body.length] : [(body.length & 0x7f) | 0x80, body.length >> 7];
    return Buffer.from([0x32, ...length, ...body]);
  }
  const bytesOf = (s: string) => [...Buffer.from(s)];
  const malformedError = (bytes: Buffer) => {
    try {
      checkPublishTopic(bytes);
    } catch (e) {
      return e;
    }
    return undefined;
  };

  const bad: Array<[string, number[]]> = [
    ["'a' C3 '(' (a cut-short sequence)", [0x61, 0xc3, 0x28]],
    ['a lone continuation byte', [0x61, 0x80]],
    ['ED A0 80 (an encoded surrogate)', [0xed, 0xa0, 0x80]],
    ['C0 AF (an overlong encoding)', [0xc0, 0xaf]],
    ['F4 90 80 80 (above U+10FFFF)', [0xf4, 0x90, 0x80, 0x80]],
    ['FF', [0x61, 0xff]],
    ['U+0000', [0x61, 0x00, 0x62]],
  ];
  for (const [name, topic] of bad) {
    it(`[MQTT-1.5.4-1] [MQTT-1.5.4-2] refuses ${name} as malformed, with or without properties`, () => {
      for (const bytes of [publishWith(topic), publishWith(topic, []), publishWith(topic, [0x01, 0x00])]) {
        const error = malformedError(bytes);
        expect(error).toBeInstanceOf(MqttError);
        expect((error as MqttError).reasonCode).toBe(ReasonCode.malformedPacket);
      }
    });
  }

  it('refuses a bad topic behind a two-byte remaining length', () => {
    const bytes = publishWith([...bytesOf('x'.repeat(200)), 0xc3]);
    expect(bytes[1] & 0x80).toBe(0x80);
    expect(malformedError(bytes)).toBeInstanceOf(MqttError);
  });

  it('accepts well-formed topics, U+FFFD encoded as EF BF BD among them', () => {
    for (const topic of ['a/b', 'ü/✓', '\ufffd', 'x/\ufffd/y', '😀', 'z'.repeat(300)]) {
      expect(malformedError(publishWith(bytesOf(topic)))).toBeUndefined();
      expect(malformedError(publishWith(bytesOf(topic), [0x01, 0x00]))).toBeUndefined();
    }
  });

  it('leaves a PUBLISH too short for its topic to the decoders', () => {
    for (const raw of [
      [0x30, 0x00],
      [0x30, 0x01, 0x00],
      [0x30, 0x03, 0x00, 0x05, 0xc3],
    ]) {
      expect(malformedError(Buffer.from(raw))).toBeUndefined();
    }
  });
});

describe('checkConnectStrings / checkTopicFilters: the strings of CONNECT, SUBSCRIBE, UNSUBSCRIBE', () => {
  const bytesOf = (s: string) => [...Buffer.from(s)];
  const str = (b: number[]) => [b.length >> 8, b.length & 0xff, ...b];
  function varint(n: number): number[] {
    const out: number[] = [];
    do {
      out.push((n % 128) | (n >= 128 ? 0x80 : 0));
      n = Math.floor(n / 128);
    } while (n > 0);
    return out;
  }
  const packet = (first: number, body: number[]) => Buffer.from([first, ...varint(body.length), ...body]);
  /** A 5.0 property section: its length, then the properties. */
  const section = (props: number[]) => [...varint(props.length), ...props];

  interface ConnectFields {
    level: ProtocolVersion;
    clientId: number[];
    /** 5.0 only: the properties (without their length); empty when not given. */
    properties?: number[];
    will?: { topic: number[]; payload?: number[]; properties?: number[] };
    username?: number[];
    password?: number[];
  }
  /** A CONNECT built byte by byte, at 'MQIsdp' 3, 'MQTT' 4 or 'MQTT' 5. */
  function connectWith(f: ConnectFields): Buffer {
    const v5 = f.level === 5;
    let flags = 0x02;
    const payload = str(f.clientId);
    if (f.will) {
      flags |= 0x04;
      if (v5) payload.push(...section(f.will.properties ?? []));
      payload.push(...str(f.will.topic), ...str(f.will.payload ?? bytesOf('bye')));
    }
    if (f.username) {
      flags |= 0x80;
      payload.push(...str(f.username));
    }
    if (f.password) {
      flags |= 0x40;
      payload.push(...str(f.password));
    }
    const name = bytesOf(f.level === 3 ? 'MQIsdp' : 'MQTT');
    const props = v5 ? section(f.properties ?? []) : [];
    return packet(0x10, [...str(name), f.level, flags, 0x00, 0x3c, ...props, ...payload]);
  }
  /** A SUBSCRIBE (options byte 1 after each filter) or UNSUBSCRIBE, packet id 1. */
  function filtersWith(subscribe: boolean, version: ProtocolVersion, filters: number[][], props?: number[]) {
    const body = [0x00, 0x01, ...(version === 5 ? section(props ?? []) : [])];
    for (const filter of filters) body.push(...str(filter), ...(subscribe ? [0x01] : []));
    return packet(subscribe ? 0x82 : 0xa2, body);
  }
  const thrownBy = (check: () => void) => {
    try {
      check();
    } catch (e) {
      return e;
    }
    return undefined;
  };
  const expectMalformed = (check: () => void) => {
    const error = thrownBy(check);
    expect(error).toBeInstanceOf(MqttError);
    expect((error as MqttError).reasonCode).toBe(ReasonCode.malformedPacket);
  };

  const bad: Array<[string, number[]]> = [
    ["'a' C3 '(' (a cut-short sequence)", [0x61, 0xc3, 0x28]],
    ['a lone continuation byte', [0x61, 0x80]],
    ['ED A0 80 (an encoded surrogate)', [0xed, 0xa0, 0x80]],
    ['C0 AF (an overlong encoding)', [0xc0, 0xaf]],
    ['F4 90 80 80 (above U+10FFFF)', [0xf4, 0x90, 0x80, 0x80]],
    ['FF', [0x61, 0xff]],
    ['U+0000', [0x61, 0x00, 0x62]],
  ];
  const good = ['a', 'température/#', '\ufffd', 'x/\ufffd/y', '😀', 'z'.repeat(300)];
  /** Every known 5.0 property kind: byte, two and four bytes, varint, string, binary, pair. */
  const connectProperties = [
    [0x11, 0x00, 0x00, 0x00, 0x3c], // session expiry interval
    [0x21, 0x00, 0x0a], // receive maximum
    [0x17, 0x01], // request problem information
    [0x0b, 0xff, 0xff, 0xff, 0x7f], // a (misplaced) subscription identifier, four bytes
    [0x15, ...str([0x61, 0x62])], // authentication method
    [0x16, ...str([0xc3, 0x28, 0x00])], // authentication data: binary, anything goes
    [0x26, ...str(bytesOf('k')), ...str(bytesOf('v'))], // user property
  ].flat();
  const willProperties = [
    [0x18, 0x00, 0x00, 0x00, 0x05], // will delay interval
    [0x01, 0x01], // payload format indicator
    [0x09, ...str([0xff, 0x00])], // correlation data: binary
    [0x03, ...str(bytesOf('text/plain'))], // content type
  ].flat();

  /** The CONNECTs that carry `bytes` in one string field, at every level and property layout. */
  function connectsWith(
    field: 'clientId' | 'will' | 'username',
    bytes: number[],
  ): Array<[ProtocolVersion, Buffer]> {
    const out: Array<[ProtocolVersion, Buffer]> = [];
    for (const level of versions) {
      const layouts =
        level === 5
          ? [
              { properties: [], will: [] },
              { properties: connectProperties, will: willProperties },
            ]
          : [{ properties: undefined, will: undefined }];
      for (const layout of layouts) {
        out.push([
          level,
          connectWith({
            level,
            properties: layout.properties,
            clientId: field === 'clientId' ? bytes : bytesOf('client'),
            will: { topic: field === 'will' ? bytes : bytesOf('will/t'), properties: layout.will },
            username: field === 'username' ? bytes : bytesOf('user'),
            password: [0xc3, 0x28, 0x00],
          }),
        ]);
      }
    }
    return out;
  }

  for (const field of ['clientId', 'will', 'username'] as const) {
    for (const [name, bytes] of bad) {
      it(`[MQTT-1.5.4-1] [MQTT-1.5.4-2] CONNECT: ${name} in the ${field} is malformed (3.1, 3.1.1, 5.0)`, () => {
        for (const [level, connect] of connectsWith(field, bytes)) {
          expectMalformed(() => checkConnectStrings(connect, level));
        }
      });
    }
  }

  it('CONNECT: well-formed strings pass and read back as mqtt-packet reads them', () => {
    for (const s of good) {
      for (const field of ['clientId', 'will', 'username'] as const) {
        for (const [level, connect] of connectsWith(field, bytesOf(s))) {
          expect(thrownBy(() => checkConnectStrings(connect, level))).toBeUndefined();
          const decoded = slowDecode(connect, level) as IConnectPacket;
          const read =
            field === 'clientId'
              ? decoded.clientId
              : field === 'will'
                ? decoded.will?.topic
                : decoded.username;
          expect(read).toBe(s);
        }
      }
    }
  });

  it('CONNECT: what mqtt-packet writes passes, every property and the will included', () => {
    for (const protocolVersion of versions) {
      const v5 = protocolVersion === 5;
      const connect = generate(
        {
          cmd: 'connect',
          protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
          protocolVersion,
          clientId: 'cliënt-\ufffd',
          clean: true,
          keepalive: 30,
          username: 'üser',
          password: Buffer.from([0xc3, 0x28, 0x00]),
          will: {
            topic: 'température/\ufffd',
            payload: Buffer.from([0xff, 0x00]),
            qos: 1,
            retain: false,
            ...(v5
              ? {
                  properties: {
                    willDelayInterval: 5,
                    payloadFormatIndicator: true,
                    messageExpiryInterval: 60,
                    contentType: 'ç/t',
                    responseTopic: 'r/ü',
                    correlationData: Buffer.from([0xc0, 0xaf]),
                    userProperties: { ké: 'vä' },
                  },
                }
              : {}),
          },
          ...(v5
            ? {
                properties: {
                  sessionExpiryInterval: 60,
                  receiveMaximum: 10,
                  maximumPacketSize: 4096,
                  topicAliasMaximum: 5,
                  requestResponseInformation: true,
                  requestProblemInformation: false,
                  userProperties: { a: ['1', '2'], ü: 'ß' },
                  authenticationMethod: 'mé',
                  authenticationData: Buffer.from([0xed, 0xa0, 0x80]),
                },
              }
            : {}),
        },
        protocolVersion,
      );
      expect(thrownBy(() => checkConnectStrings(connect, protocolVersion))).toBeUndefined();
    }
  });

  it('CONNECT: the will payload and the password are binary, not checked', () => {
    for (const level of versions) {
      const connect = connectWith({
        level,
        clientId: bytesOf('c'),
        will: { topic: bytesOf('w'), payload: [0xc3, 0x28, 0x00] },
        username: bytesOf('u'),
        password: [0xed, 0xa0, 0x80, 0x00],
      });
      expect(thrownBy(() => checkConnectStrings(connect, level))).toBeUndefined();
    }
  });

  it('CONNECT 5.0: bad bytes inside a binary property are not read as the client identifier', () => {
    // Authentication data C3 28: a walker that skipped the properties wrongly would land in it.
    const connect = connectWith({
      level: 5,
      clientId: bytesOf('c'),
      properties: [0x16, ...str([0xc3, 0x28])],
    });
    expect(thrownBy(() => checkConnectStrings(connect, 5))).toBeUndefined();
  });

  it('CONNECT 5.0: properties that run past their length are malformed (mqtt-packet would read on)', () => {
    // Length 1, but session expiry takes 5 bytes. mqtt-packet reads it whole and takes the
    // client id (C3 28) from where it ends; by the length, the client id would be 00 00 (empty).
    const props = [0x01, 0x11, 0x00, 0x00, 0x00, 0x00];
    const connect = packet(0x10, [
      ...str(bytesOf('MQTT')),
      5,
      0x02,
      0x00,
      0x3c,
      ...props,
      ...str([0xc3, 0x28]),
    ]);
    expect(slowDecode(connect, 5)).toMatchObject({ cmd: 'connect', clientId: '\ufffd(' });
    expectMalformed(() => checkConnectStrings(connect, 5));
  });

  it('CONNECT: every truncation of a valid CONNECT is left to mqtt-packet, which refuses it', () => {
    for (const level of versions) {
      const whole = connectWith({
        level,
        clientId: bytesOf('çlient'),
        properties: level === 5 ? connectProperties : undefined,
        will: { topic: bytesOf('wïll'), properties: level === 5 ? willProperties : undefined },
        username: bytesOf('üser'),
        password: bytesOf('pw'),
      });
      const body = [...whole.subarray(2)];
      expect(whole[1]).toBe(body.length);
      for (let cut = 0; cut < body.length; cut++) {
        const truncated = packet(0x10, body.slice(0, cut));
        expect(thrownBy(() => checkConnectStrings(truncated, level))).toBeUndefined();
        expect(() => slowDecode(truncated, level)).toThrow();
      }
    }
  });

  for (const subscribe of [true, false]) {
    const name = subscribe ? 'SUBSCRIBE' : 'UNSUBSCRIBE';
    const layouts = (version: ProtocolVersion) =>
      version === 5
        ? [[], [0x0b, 0x80, 0x01, 0x26, ...str(bytesOf('k')), ...str(bytesOf('v'))]]
        : [undefined];

    for (const [badName, bytes] of bad) {
      it(`[MQTT-1.5.4-1] [MQTT-1.5.4-2] ${name}: ${badName} in any topic filter is malformed`, () => {
        for (const version of versions) {
          for (const props of layouts(version)) {
            for (const at of [0, 1, 2]) {
              const filters = [bytesOf('a/b'), bytesOf('c/#'), bytesOf('d/+')];
              filters[at] = [...filters[at], ...bytes];
              expectMalformed(() =>
                checkTopicFilters(filtersWith(subscribe, version, filters, props), version),
              );
            }
          }
        }
      });
    }

    it(`${name}: well-formed filters pass and read back as mqtt-packet reads them`, () => {
      for (const version of versions) {
        for (const props of layouts(version)) {
          const bytes = filtersWith(subscribe, version, good.map(bytesOf), props);
          expect(thrownBy(() => checkTopicFilters(bytes, version))).toBeUndefined();
          const decoded = slowDecode(bytes, version);
          const read =
            decoded.cmd === 'subscribe'
              ? decoded.subscriptions.map((s) => s.topic)
              : (decoded as IUnsubscribePacket).unsubscriptions;
          expect(read).toEqual(good);
        }
      }
    });

    it(`${name}: every truncation of a valid one is left to mqtt-packet`, () => {
      for (const version of versions) {
        for (const props of layouts(version)) {
          const whole = filtersWith(subscribe, version, [bytesOf('ä/b'), bytesOf('c')], props);
          const body = [...whole.subarray(2)];
          for (let cut = 0; cut < body.length; cut++) {
            const truncated = packet(whole[0], body.slice(0, cut));
            expect(thrownBy(() => checkTopicFilters(truncated, version))).toBeUndefined();
          }
        }
      }
    });

    it(`${name} 5.0: properties that run past their length are malformed (mqtt-packet would read on)`, () => {
      // Length 1, but a subscription identifier of two bytes (81 01). mqtt-packet reads it
      // whole and the filter after it; by the length, the filter would start at 81 01.
      const props = [0x01, 0x0b, 0x81, 0x01];
      const options = subscribe ? [0x01] : [];
      const bytes = packet(subscribe ? 0x82 : 0xa2, [
        0x00,
        0x01,
        ...props,
        ...str([0x61, 0xc0, 0xaf]),
        ...options,
      ]);
      const decoded = slowDecode(bytes, 5);
      const read =
        decoded.cmd === 'subscribe'
          ? decoded.subscriptions[0].topic
          : (decoded as IUnsubscribePacket).unsubscriptions[0];
      expect(read).toBe('a\ufffd\ufffd');
      expectMalformed(() => checkTopicFilters(bytes, 5));
    });
  }

  it('a property section mqtt-packet refuses on its own is left to it, whatever follows', () => {
    const sections: Array<[string, number[]]> = [
      ['an unknown property', [0x02, 0x7f, 0x00]],
      ['property identifier 0', [0x02, 0x00, 0x00]],
      ['a five-byte subscription identifier', [0x06, 0x0b, 0xff, 0xff, 0xff, 0xff, 0x01]],
      ['a length running past the packet', [0x7f, 0x01, 0x00]],
    ];
    for (const [, props] of sections) {
      const subscribe = packet(0x82, [0x00, 0x01, ...props, ...str([0xc0, 0xaf]), 0x01]);
      expect(thrownBy(() => checkTopicFilters(subscribe, 5))).toBeUndefined();
      expect(() => slowDecode(subscribe, 5)).toThrow();
      const connect = packet(0x10, [
        ...str(bytesOf('MQTT')),
        5,
        0x02,
        0x00,
        0x3c,
        ...props,
        ...str([0xc0, 0xaf]),
      ]);
      expect(thrownBy(() => checkConnectStrings(connect, 5))).toBeUndefined();
      expect(() => slowDecode(connect, 5)).toThrow();
    }
  });

  it('SUBSCRIBE and UNSUBSCRIBE as mqtt-packet writes them pass', () => {
    for (const version of versions) {
      const v5 = version === 5;
      const subscribe = generate(
        {
          cmd: 'subscribe',
          messageId: 3,
          subscriptions: good.map((topic) => ({
            topic,
            qos: 1 as const,
            ...(v5 ? { nl: true, rh: 2 } : {}),
          })),
          ...(v5 ? { properties: { subscriptionIdentifier: 268_435_455, userProperties: { ü: 'v' } } } : {}),
        },
        version,
      );
      expect(thrownBy(() => checkTopicFilters(subscribe, version))).toBeUndefined();
      const unsubscribe = generate(
        {
          cmd: 'unsubscribe',
          messageId: 4,
          unsubscriptions: good,
          ...(v5 ? { properties: { userProperties: { ü: 'v' } } } : {}),
        },
        version,
      );
      expect(thrownBy(() => checkTopicFilters(unsubscribe, version))).toBeUndefined();
    }
  });

  it('refuses a bad filter behind a three-byte remaining length', () => {
    const bytes = filtersWith(true, 4, [bytesOf('x'.repeat(20_000)), [0xc0, 0xaf]]);
    expect(bytes[2] & 0x80).toBe(0x80);
    expectMalformed(() => checkTopicFilters(bytes, 4));
  });
});

describe('encodePublish', () => {
  for (const version of versions) {
    it(`writes v${version} PUBLISHes byte for byte as mqtt-packet (no properties)`, () => {
      for (const topic of topics) {
        for (const size of payloadSizes) {
          for (const qos of [0, 1, 2] as const) {
            for (const flags of [0, 1, 2, 3]) {
              const fields = {
                topic,
                payload: Buffer.alloc(size, size % 256),
                qos,
                retain: (flags & 1) !== 0,
                dup: qos > 0 && (flags & 2) !== 0,
                messageId: qos > 0 ? 1 + ((size + flags) % 65535) : undefined,
              };
              const ours = encodePublish(fields, version);
              const theirs = generate({ cmd: 'publish', ...fields } as IPublishPacket, version);
              expect(ours.equals(theirs)).toBe(true);
            }
          }
        }
      }
    });
  }

  it('writes 5.0 properties that mqtt-packet reads back', () => {
    const props = {
      payloadFormatIndicator: true,
      messageExpiryInterval: 3600,
      contentType: 'application/json',
      responseTopic: 'reply/to/me',
      correlationData: Buffer.from([1, 2, 3, 250]),
      subscriptionIdentifier: [1, 200, 268_435_455],
      topicAlias: 7,
      userProperties: [
        ['k', 'v1'],
        ['é', 'ü'],
        ['k', 'v2'],
      ] as Array<[string, string]>,
    };
    const bytes = encodePublish(
      {
        topic: 'p/q',
        payload: Buffer.from('body'),
        qos: 1,
        retain: false,
        dup: false,
        messageId: 77,
        properties: encodePublishProperties(props),
      },
      5,
    );
    const parsed = slowDecode(bytes, 5) as IPublishPacket;
    expect(parsed.topic).toBe('p/q');
    expect(parsed.messageId).toBe(77);
    expect(Buffer.from(parsed.payload).toString()).toBe('body');
    expect(parsed.properties).toEqual({
      payloadFormatIndicator: true,
      messageExpiryInterval: 3600,
      contentType: 'application/json',
      responseTopic: 'reply/to/me',
      correlationData: Buffer.from([1, 2, 3, 250]),
      subscriptionIdentifier: [1, 200, 268_435_455],
      topicAlias: 7,
      userProperties: { k: ['v1', 'v2'], é: 'ü' },
    });
  });

  it('keeps user properties in the order given [MQTT-3.3.2-18]', () => {
    const section = encodePublishProperties({
      userProperties: [
        ['b', '1'],
        ['a', '2'],
        ['b', '3'],
      ],
    })!;
    const pair = (k: string, v: string) => [
      0x26,
      0,
      k.length,
      ...Buffer.from(k),
      0,
      v.length,
      ...Buffer.from(v),
    ];
    expect([...section]).toEqual([...pair('b', '1'), ...pair('a', '2'), ...pair('b', '3')]);
  });

  it('matches mqtt-packet byte for byte with properties in the same order', () => {
    const properties = {
      payloadFormatIndicator: false,
      messageExpiryInterval: 10,
      contentType: 'c',
      responseTopic: 'r',
      correlationData: Buffer.from('cd'),
      subscriptionIdentifier: 5,
      topicAlias: 2,
      userProperties: { x: 'y' },
    };
    const ours = encodePublish(
      {
        topic: '',
        payload: Buffer.from('z'),
        qos: 2,
        retain: true,
        dup: true,
        messageId: 65535,
        properties: encodePublishProperties(properties),
      },
      5,
    );
    const theirs = generate(
      {
        cmd: 'publish',
        topic: '',
        payload: Buffer.from('z'),
        qos: 2,
        retain: true,
        dup: true,
        messageId: 65535,
        properties,
      },
      5,
    );
    expect(ours.equals(theirs)).toBe(true);
  });

  it('has no property section for empty properties', () => {
    expect(encodePublishProperties({})).toBeUndefined();
    expect(encodePublishProperties({ userProperties: [] })).toBeUndefined();
    expect(encodePublishProperties({ userProperties: {} })).toBeUndefined();
    expect(encodePublishProperties({ userProperties: { k: [] } })).toBeUndefined();
  });

  it('a round trip through the fast decoder gives the fields back', () => {
    for (const version of versions) {
      const bytes = encodePublish(
        { topic: 'r/t', payload: Buffer.from('rt'), qos: 2, retain: true, dup: true, messageId: 4242 },
        version,
      );
      expect(publishFields(decodeFast(bytes, version)!)).toEqual({
        cmd: 'publish',
        topic: 'r/t',
        payload: Buffer.from('rt'),
        qos: 2,
        retain: true,
        dup: true,
        messageId: 4242,
        properties: undefined,
      });
    }
  });
});

describe('encodeAck and PINGRESP', () => {
  for (const version of versions) {
    it(`writes v${version} acks byte for byte as mqtt-packet`, () => {
      for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
        for (const messageId of [1, 300, 65535]) {
          const theirs = generate(
            { cmd, messageId, ...(version === 5 ? { reasonCode: 0 } : {}) } as Packet,
            version,
          );
          expect(encodeAck(cmd, messageId).equals(theirs)).toBe(true);
        }
      }
      expect(PINGRESP_BYTES.equals(generate({ cmd: 'pingresp' }, version))).toBe(true);
    });
  }
});

describe('Framer with lent chunks', () => {
  const publish = (topic: string, size: number) =>
    generate({ cmd: 'publish', topic, payload: Buffer.alloc(size, 9), qos: 0, retain: false, dup: false }, 4);

  /** Feeds `chunks` one by one, each in a buffer that is wiped after the call, like uWS does. */
  function feed(framer: Framer, chunks: Buffer[]): Buffer[] {
    const out: Buffer[] = [];
    for (const chunk of chunks) {
      const lent = Buffer.from(chunk);
      framer.begin(lent);
      for (let p = framer.next(); p !== undefined; p = framer.next()) out.push(Buffer.from(p));
      framer.end();
      lent.fill(0xee);
    }
    return out;
  }

  it('keeps a packet split over frames intact though each frame is reused', () => {
    const bytes = publish('split', 5000);
    const framer = new Framer(1 << 20);
    const chunks = [
      bytes.subarray(0, 1),
      bytes.subarray(1, 2),
      bytes.subarray(2, 3000),
      bytes.subarray(3000),
    ];
    const [packet] = feed(framer, chunks);
    expect(packet.equals(bytes)).toBe(true);
  });

  it('cuts merged packets and keeps a partial tail', () => {
    const a = publish('a', 10);
    const b = publish('b', 300);
    const c = generate({ cmd: 'pingreq' }, 4);
    const all = Buffer.concat([a, b, c, a]);
    const framer = new Framer(1 << 20);
    const cutAt = a.length + 5;
    const packets = feed(framer, [
      all.subarray(0, cutAt),
      all.subarray(cutAt, all.length - 2),
      all.subarray(-2),
    ]);
    expect(packets.map((p) => p.length)).toEqual([a.length, b.length, c.length, a.length]);
    expect(Buffer.concat(packets).equals(all)).toBe(true);
  });

  it('gathers a large packet sent one byte per frame', () => {
    const bytes = publish('bytewise', 20_000);
    const framer = new Framer(1 << 20);
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    const packets = feed(framer, chunks);
    expect(packets).toHaveLength(1);
    expect(packets[0].equals(bytes)).toBe(true);
  });

  it('refuses a packet above the maximum as soon as its length is known', () => {
    const framer = new Framer(100);
    const bytes = publish('big', 200);
    framer.begin(bytes.subarray(0, 3));
    expect(() => framer.next()).toThrow(MqttError);
    framer.end();
  });

  it('refuses a fifth remaining-length byte as malformed', () => {
    const framer = new Framer(1 << 30);
    framer.begin(Buffer.from([0x30, 0x80, 0x80]));
    expect(framer.next()).toBeUndefined();
    framer.end();
    framer.begin(Buffer.from([0x80, 0x80, 0x01]));
    try {
      framer.next();
      expect.unreachable();
    } catch (e) {
      expect((e as MqttError).reasonCode).toBe(ReasonCode.malformedPacket);
    }
    framer.end();
  });
});

describe('TopicCache', () => {
  const publish = (topic: string) =>
    generate({ cmd: 'publish', topic, payload: Buffer.from('p'), qos: 0, retain: false, dup: false }, 4);

  it('gives the same string back for the same topic bytes, and forgets validity on a new topic', () => {
    const cache = new TopicCache();
    const first = decodeFast(publish('a/b/c'), 4, cache) as IPublishPacket;
    expect(first.topic).toBe('a/b/c');
    cache.valid = true;
    const again = decodeFast(publish('a/b/c'), 4, cache) as IPublishPacket;
    expect(again.topic).toBe('a/b/c');
    expect(cache.valid).toBe(true);
    // Same length, other bytes: decoded afresh, and no longer known valid.
    const other = decodeFast(publish('a/b/d'), 4, cache) as IPublishPacket;
    expect(other.topic).toBe('a/b/d');
    expect(cache.topic).toBe('a/b/d');
    expect(cache.valid).toBe(false);
  });

  it('decodes every topic right, cached or not (unicode, long, reused buffers)', () => {
    const cache = new TopicCache();
    const sequence = ['x', 'x', 'ü/✓', 'ü/✓', 'y'.repeat(200), 'y'.repeat(200), 'x', '#', 'x'];
    for (const topic of sequence) {
      const bytes = publish(topic);
      const packet = decodeFast(bytes, 4, cache) as IPublishPacket;
      bytes.fill(0); // the packet bytes are lent: the cache must not depend on them
      expect(packet.topic).toBe(topic);
    }
  });
});
