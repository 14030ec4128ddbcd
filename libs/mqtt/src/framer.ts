// Cuts a byte stream into whole MQTT packets (fixed header + remaining length), enforcing
// the maximum packet size before buffering a body. Transport frames do not align with
// packets: one frame may hold part of a packet or several packets.
import { MqttError, malformed } from './errors.js';
import { ReasonCode } from './reason-codes.js';

export class Framer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Appends bytes and returns every packet completed by them. Throws MqttError on bad framing. */
  push(chunk: Buffer): Buffer[] {
    let data: Buffer;
    if (this.buffered === 0) {
      data = chunk;
    } else {
      this.chunks.push(chunk);
      data = Buffer.concat(this.chunks, this.buffered + chunk.length);
      this.chunks = [];
      this.buffered = 0;
    }
    const packets: Buffer[] = [];
    let offset = 0;
    while (offset < data.length) {
      const header = readRemainingLength(data, offset + 1);
      if (header === undefined) break; // length bytes not all here yet
      const total = 1 + header.bytes + header.value;
      if (total > this.maxPacketBytes) {
        throw new MqttError(
          ReasonCode.packetTooLarge,
          `packet of ${total} bytes exceeds ${this.maxPacketBytes}`,
        );
      }
      if (data.length - offset < total) break;
      packets.push(data.subarray(offset, offset + total));
      offset += total;
    }
    if (offset < data.length) {
      const rest = data.subarray(offset);
      this.chunks.push(rest);
      this.buffered = rest.length;
    }
    return packets;
  }
}

/** Variable byte integer at `offset` (§1.5.5): undefined when incomplete. */
function readRemainingLength(data: Buffer, offset: number): { value: number; bytes: number } | undefined {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 4; i++) {
    if (offset + i >= data.length) return undefined;
    const byte = data[offset + i];
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { value, bytes: i + 1 };
    multiplier *= 128;
  }
  // A fifth length byte is malformed [MQTT-1.5.5-1] (3.1.1 §2.2.3).
  throw malformed('remaining length longer than 4 bytes');
}
