// The shared mqtt-packet decoders serve every connection of a protocol version: nothing one
// connection sends may change how another's packets decode.
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { decoderFor } from '../src/packet-codec.js';

describe('shared decoders', () => {
  it('a bridge-mode CONNECT does not make later 3.1.1 SUBSCRIBEs decode as no-local', () => {
    const decoder = decoderFor(4);
    const subscribe = mqttPacket.generate(
      { cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'a/b', qos: 1 }] },
      { protocolVersion: 4 },
    );
    const before = decoder.decode(Buffer.from(subscribe));
    // Bridge mode (protocol level 0x84) is a Mosquitto extension mqtt-packet reads but does not type.
    const bridge = mqttPacket.generate(
      {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: 'bridge',
        clean: true,
        keepalive: 0,
        bridgeMode: true,
      } as mqttPacket.IConnectPacket,
      { protocolVersion: 4 },
    );
    expect(decoder.decode(Buffer.from(bridge)).cmd).toBe('connect');
    const after = decoder.decode(Buffer.from(subscribe));
    expect(after).toEqual(before);
    expect((after as mqttPacket.ISubscribePacket).subscriptions[0].nl).toBeFalsy();
  });
});
