// Whole-packet decode and encode over mqtt-packet. The Framer hands over complete
// packets, so the streaming parser never holds partial state between calls.
import mqttPacket, { type Packet } from 'mqtt-packet';
import { malformed } from './errors.js';

export type ProtocolVersion = 3 | 4 | 5;

export class PacketDecoder {
  private readonly parser: ReturnType<typeof mqttPacket.parser>;
  private packet: Packet | undefined;
  private error: Error | undefined;

  constructor(version: ProtocolVersion) {
    this.parser = mqttPacket.parser({ protocolVersion: version });
    this.parser.on('packet', (p: Packet) => {
      this.packet = p;
    });
    this.parser.on('error', (e: Error) => {
      this.error = e;
    });
  }

  decode(bytes: Buffer): Packet {
    this.packet = undefined;
    this.error = undefined;
    this.parser.parse(bytes);
    const error = this.error as Error | undefined;
    const packet = this.packet as Packet | undefined;
    if (error) throw malformed(error.message);
    if (!packet) throw malformed('incomplete packet');
    return packet;
  }
}

export function encode(packet: Packet, version: ProtocolVersion): Buffer {
  return mqttPacket.generate(packet, { protocolVersion: version });
}
