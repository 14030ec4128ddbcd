// MQTT 5: "It is a Protocol Error to include X more than once" holds for every property but
// User Property (and Subscription Identifier in a PUBLISH from a server). mqtt-packet would
// turn a repeat into an array; the decoder must refuse the packet instead, in every packet
// type that carries properties. The fast codec never takes a packet with properties, so
// each of these reaches the mqtt-packet path.
import { describe, expect, it } from 'vitest';
import { MqttError } from '../src/errors.js';
import { decodeFast } from '../src/fast-codec.js';
import { decoderFor } from '../src/packet-codec.js';

// --- packets byte by byte (mqtt-packet will not encode a repeated property) ---

function varInt(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

const text = (s: string) => Buffer.concat([Buffer.from([s.length >> 8, s.length & 0xff]), Buffer.from(s)]);
const section = (...props: Buffer[]) => {
  const body = Buffer.concat(props);
  return Buffer.concat([varInt(body.length), body]);
};
const packet = (first: number, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([first]), varInt(body.length), body]);
};

// One property of each kind, as it goes on the wire.
const byte = (id: number, v: number) => Buffer.from([id, v]);
const u16 = (id: number, v: number) => Buffer.from([id, v >> 8, v & 0xff]);
const u32 = (id: number, v: number) =>
  Buffer.from([id, v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
const str = (id: number, s: string) => Buffer.concat([Buffer.from([id]), text(s)]);
const user = (k: string, v: string) => Buffer.concat([Buffer.from([0x26]), text(k), text(v)]);

/** Properties by name, each with two values (a repeat with the same value is a repeat too). */
const P = {
  payloadFormatIndicator: [byte(0x01, 0), byte(0x01, 0)],
  messageExpiryInterval: [u32(0x02, 60), u32(0x02, 0)],
  contentType: [str(0x03, 'a'), str(0x03, 'b')],
  responseTopic: [str(0x08, 'r/1'), str(0x08, 'r/2')],
  correlationData: [str(0x09, 'c1'), str(0x09, 'c2')],
  subscriptionIdentifier: [Buffer.from([0x0b, 1]), Buffer.from([0x0b, 2])],
  sessionExpiryInterval: [u32(0x11, 10), u32(0x11, 20)],
  authenticationMethod: [str(0x15, 'm'), str(0x15, 'm')],
  authenticationData: [str(0x16, 'd1'), str(0x16, 'd2')],
  requestProblemInformation: [byte(0x17, 1), byte(0x17, 0)],
  willDelayInterval: [u32(0x18, 1), u32(0x18, 2)],
  requestResponseInformation: [byte(0x19, 0), byte(0x19, 1)],
  serverReference: [str(0x1c, 'other'), str(0x1c, 'another')],
  reasonString: [str(0x1f, 'why'), str(0x1f, 'why not')],
  receiveMaximum: [u16(0x21, 10), u16(0x21, 20)],
  topicAliasMaximum: [u16(0x22, 0), u16(0x22, 5)],
  topicAlias: [u16(0x23, 1), u16(0x23, 2)],
  maximumPacketSize: [u32(0x27, 1000), u32(0x27, 2000)],
} satisfies Record<string, [Buffer, Buffer]>;
type Name = keyof typeof P;

const connect = (props: Buffer, willProps?: Buffer) =>
  packet(
    0x10,
    text('MQTT'),
    Buffer.from([5, willProps ? 0x06 : 0x02, 0, 0]),
    props,
    text('client'),
    ...(willProps ? [willProps, text('will/topic'), text('gone')] : []),
  );

/** Each packet type a client may send, built around one property section. */
const packetTypes: Record<string, { build: (props: Buffer) => Buffer; singleUse: Name[] }> = {
  CONNECT: {
    build: (props) => connect(props),
    singleUse: [
      'sessionExpiryInterval',
      'receiveMaximum',
      'maximumPacketSize',
      'topicAliasMaximum',
      'requestResponseInformation',
      'requestProblemInformation',
      'authenticationMethod',
      'authenticationData',
    ],
  },
  'CONNECT will properties': {
    build: (props) => connect(section(), props),
    singleUse: [
      'willDelayInterval',
      'payloadFormatIndicator',
      'messageExpiryInterval',
      'contentType',
      'responseTopic',
      'correlationData',
    ],
  },
  PUBLISH: {
    build: (props) => packet(0x33, text('a/b'), Buffer.from([0, 7]), props, Buffer.from('p')),
    singleUse: [
      'payloadFormatIndicator',
      'messageExpiryInterval',
      'topicAlias',
      'responseTopic',
      'correlationData',
      'contentType',
    ],
  },
  PUBACK: { build: (props) => packet(0x40, Buffer.from([0, 7, 0x10]), props), singleUse: ['reasonString'] },
  PUBREC: { build: (props) => packet(0x50, Buffer.from([0, 7, 0x10]), props), singleUse: ['reasonString'] },
  PUBREL: { build: (props) => packet(0x62, Buffer.from([0, 7, 0x92]), props), singleUse: ['reasonString'] },
  PUBCOMP: { build: (props) => packet(0x70, Buffer.from([0, 7, 0x92]), props), singleUse: ['reasonString'] },
  SUBSCRIBE: {
    build: (props) => packet(0x82, Buffer.from([0, 7]), props, text('a/+'), Buffer.from([1])),
    singleUse: ['subscriptionIdentifier'],
  },
  // UNSUBSCRIBE may carry only User Properties: any other property, repeated, is refused all the same.
  UNSUBSCRIBE: {
    build: (props) => packet(0xa2, Buffer.from([0, 7]), props, text('a/+')),
    singleUse: ['reasonString'],
  },
  DISCONNECT: {
    build: (props) => packet(0xe0, Buffer.from([0]), props),
    singleUse: ['sessionExpiryInterval', 'reasonString', 'serverReference'],
  },
  AUTH: {
    build: (props) => packet(0xf0, Buffer.from([0x18]), props),
    singleUse: ['authenticationMethod', 'authenticationData', 'reasonString'],
  },
};

const cases = Object.entries(packetTypes).flatMap(([type, { build, singleUse }]) =>
  singleUse.map((name) => ({ type, name, build })),
);

function refusal(bytes: Buffer): MqttError | undefined {
  try {
    decoderFor(5).decode(Buffer.from(bytes));
    return undefined;
  } catch (error) {
    if (error instanceof MqttError) return error;
    throw error;
  }
}

describe('MQTT 5: a property that may appear once, repeated, is a Protocol Error', () => {
  it.each(cases)('$type with $name twice: refused with 0x82', ({ type, name, build }) => {
    const [first, second] = P[name];
    // Once is fine: the packet itself is well-formed.
    expect(refusal(build(section(first, user('k', 'v'))))).toBeUndefined();
    const bytes = build(section(first, user('k', 'v'), second));
    // The fast path never decodes a packet with properties, so the rule is the slow path's.
    expect(decodeFast(bytes, 5)).toBeUndefined();
    const error = refusal(bytes);
    expect(error?.reasonCode).toBe(0x82);
    expect(error?.message).toMatch(/more than once/);
    // CONNECT (and its will) is refused with CONNACK 0x82; every later packet with DISCONNECT 0x82.
    expect(error?.refuseConnect).toBe(type.startsWith('CONNECT'));
  });

  it('the PUBLISH of the reliability issue (Content Type twice, retained, QoS 1) is refused', () => {
    const bytes = Buffer.from(
      '332300156475702f636f6e74656e74547970652f3132373439000708030001610300016270',
      'hex',
    );
    expect(decodeFast(bytes, 5)).toBeUndefined();
    expect(refusal(bytes)?.reasonCode).toBe(0x82);
  });

  it.each(Object.entries(packetTypes))(
    '%s: User Property may repeat, even with one key',
    (_type, { build }) => {
      expect(refusal(build(section(user('k', '1'), user('k', '2'), user('j', '3'))))).toBeUndefined();
    },
  );

  it('a decoder that refused a packet decodes the next one as usual', () => {
    const bad = packetTypes.PUBLISH.build(section(...P.contentType));
    expect(refusal(bad)?.reasonCode).toBe(0x82);
    const good = decoderFor(5).decode(packetTypes.PUBLISH.build(section(P.contentType[0])));
    expect(good).toMatchObject({ cmd: 'publish', topic: 'a/b', properties: { contentType: 'a' } });
  });
});
