// Whole-packet decode and encode over mqtt-packet, for every packet the fast codec
// (fast-codec.ts) leaves alone. The Framer hands over complete packets, so one parser per
// protocol version serves every connection: it never holds partial state between calls
// (a parser left mid-packet or in error is thrown away). At 5.0 a property that may appear
// once but is repeated is a Protocol Error (single-use-properties.ts).
import mqttPacket, { type Packet } from 'mqtt-packet';
import { malformed } from './errors.js';
import { checkSingleUseProperties } from './single-use-properties.js';

export type ProtocolVersion = 3 | 4 | 5;

// mqtt-packet's encoder otherwise pre-builds 65,536 two-byte Buffers on first use (some
// 6 MiB of heap that every full GC walks) to save an allocation per packet id; the
// packets it still encodes here (CONNACK, SUBACK…) are rare.
mqttPacket.writeToStream.cacheNumbers = false;

export class PacketDecoder {
  private parser!: ReturnType<typeof mqttPacket.parser>;
  private packet: Packet | undefined;
  private error: Error | undefined;

  constructor(private readonly version: ProtocolVersion) {
    this.reset();
  }

  /** Decodes one whole packet. The packet may keep references into `bytes`: pass an owned copy. */
  decode(bytes: Buffer): Packet {
    this.packet = undefined;
    this.error = undefined;
    let left: number;
    try {
      left = this.parser.parse(bytes);
    } catch (thrown) {
      this.reset();
      throw thrown;
    }
    const error = this.error as Error | undefined;
    const packet = this.packet as Packet | undefined;
    // A CONNECT becomes the parser's settings (e.g. bridge mode makes every later 3.1.1
    // SUBSCRIBE decode no-local): this parser serves every connection, so start afresh.
    if (error || !packet || left !== 0 || packet.cmd === 'connect') this.reset();
    if (error) throw malformed(error.message);
    if (!packet) throw malformed('incomplete packet');
    // mqtt-packet takes a repeated single-use property as an array: refuse it instead.
    if (this.version === 5) checkSingleUseProperties(bytes);
    return packet;
  }

  private reset(): void {
    this.parser = mqttPacket.parser({ protocolVersion: this.version });
    this.parser.on('packet', (p: Packet) => {
      this.packet = p;
    });
    this.parser.on('error', (e: Error) => {
      this.error = e;
    });
  }
}

const decoders: Partial<Record<ProtocolVersion, PacketDecoder>> = {};

/** The shared decoder for `version`. */
export function decoderFor(version: ProtocolVersion): PacketDecoder {
  let decoder = decoders[version];
  if (!decoder) {
    decoder = new PacketDecoder(version);
    decoders[version] = decoder;
  }
  return decoder;
}

export function encode(packet: Packet, version: ProtocolVersion): Buffer {
  return mqttPacket.generate(packet, { protocolVersion: version });
}
