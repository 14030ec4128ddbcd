// Cuts a byte stream into whole MQTT packets (fixed header + remaining length), enforcing
// the maximum packet size before buffering a body. Transport frames do not align with
// packets: one frame may hold part of a packet or several packets.
//
// Chunks are lent: begin(chunk) … next() … end() reads the packets of one chunk, each a
// view into it (valid only until the chunk's owner reuses it), and end() copies the
// incomplete rest. A packet split over chunks is gathered into one buffer of its full size
// once its header is known, so a large packet in many small frames is copied once.
import { MqttError, malformed } from './errors.js';
import { ReasonCode } from './reason-codes.js';

export class Framer {
  /** Bytes of an incomplete packet, owned. */
  private partial?: Buffer;
  /** When `partial` has the packet's whole size: how much of it is filled. */
  private filled = 0;
  private sized = false;
  /** A packet completed from `partial`, returned first by next(). */
  private ready?: Buffer;
  private data?: Buffer;
  private offset = 0;

  constructor(public maxPacketBytes: number) {}

  /** Bytes of a packet not yet complete are kept (end() left them). */
  get holdsPartial(): boolean {
    return this.partial !== undefined;
  }

  /** Forgets any partial packet. */
  reset(): void {
    this.partial = undefined;
    this.filled = 0;
    this.sized = false;
    this.ready = undefined;
    this.data = undefined;
    this.offset = 0;
  }

  /** Appends bytes and returns every packet completed by them. Throws MqttError on bad framing. */
  push(chunk: Buffer): Buffer[] {
    const packets: Buffer[] = [];
    this.begin(chunk);
    try {
      for (let packet = this.next(); packet !== undefined; packet = this.next()) packets.push(packet);
    } finally {
      this.end();
    }
    return packets;
  }

  /** Starts reading a chunk; call next() until it returns undefined, then end(). */
  begin(chunk: Buffer): void {
    this.data = chunk;
    this.offset = 0;
    const partial = this.partial;
    if (!partial) return;
    if (this.sized) {
      const n = Math.min(partial.length - this.filled, chunk.length);
      chunk.copy(partial, this.filled, 0, n);
      this.filled += n;
      this.offset = n;
      if (this.filled === partial.length) {
        this.ready = partial;
        this.partial = undefined;
      }
    } else {
      // Only part of the fixed header (at most 4 bytes) was here: read on from the join.
      this.data = Buffer.concat([partial, chunk]);
      this.partial = undefined;
    }
  }

  /** The next whole packet of the chunk, or undefined. Throws MqttError on bad framing. */
  next(): Buffer | undefined {
    const ready = this.ready;
    if (ready) {
      this.ready = undefined;
      return ready;
    }
    const data = this.data;
    if (!data) return undefined;
    const offset = this.offset;
    if (offset >= data.length) return undefined;
    const total = packetLength(data, offset, this.maxPacketBytes);
    if (total === undefined || data.length - offset < total) return undefined;
    this.offset = offset + total;
    return data.subarray(offset, offset + total);
  }

  /** Done with the chunk: keeps (copies) the bytes of an incomplete packet. */
  end(): void {
    const data = this.data;
    this.data = undefined;
    this.ready = undefined;
    if (!data || this.offset >= data.length) return;
    const rest = data.subarray(this.offset);
    let total: number | undefined;
    try {
      total = packetLength(rest, 0, this.maxPacketBytes);
    } catch {
      return; // bad framing: next() has thrown or would throw; the connection is failing
    }
    if (total === undefined) {
      this.partial = Buffer.from(rest);
      this.sized = false;
    } else {
      this.partial = Buffer.allocUnsafe(total);
      this.filled = rest.copy(this.partial);
      this.sized = true;
    }
  }
}

/** Whole length of the packet at `offset`, or undefined while its header is incomplete. */
function packetLength(data: Buffer, offset: number, maxPacketBytes: number): number | undefined {
  // Remaining length: a variable byte integer after the first byte (§1.5.5).
  let value = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    if (offset + i >= data.length) return undefined; // length bytes not all here yet
    const byte = data[offset + i];
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      const total = 1 + i + value;
      if (total > maxPacketBytes) {
        throw new MqttError(ReasonCode.packetTooLarge, `packet of ${total} bytes exceeds ${maxPacketBytes}`);
      }
      return total;
    }
    multiplier *= 128;
  }
  // A fifth length byte is malformed [MQTT-1.5.5-1] (3.1.1 §2.2.3).
  throw malformed('remaining length longer than 4 bytes');
}
