// A streaming MQTT packet splitter for the receive side of the load generator. Bytes come
// in chunks of any size (a TCP read, a WebSocket message); complete packets go to the
// callback as (buffer, type, flags, bodyStart, bodyEnd) without copying when a packet lies
// inside one chunk. A packet split across chunks is joined once, when its last byte arrives,
// so 64 KiB payloads in 16 KiB reads cost one copy, not one per read.

export type PacketHandler = (buf: Buffer, type: number, flags: number, start: number, end: number) => void;

export class PacketReader {
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Total bytes the split packet needs (header included), or 0 while its header is incomplete. */
  private needed = 0;

  constructor(private readonly onPacket: PacketHandler) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.partsLength > 0) {
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      if (this.needed > 0 && this.partsLength < this.needed) return;
      buf = Buffer.concat(this.parts, this.partsLength);
      this.parts = [];
      this.partsLength = 0;
      this.needed = 0;
    }
    const n = buf.length;
    let pos = 0;
    while (pos < n) {
      // Remaining length: 1 to 4 bytes, 7 bits each, least significant first.
      let i = pos + 1;
      let length = 0;
      let multiplier = 1;
      let complete = false;
      while (i < n && i < pos + 5) {
        const b = buf[i++];
        length += (b & 0x7f) * multiplier;
        multiplier *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (i >= pos + 5) throw new Error('malformed remaining length from broker');
        break;
      }
      const end = i + length;
      if (end > n) {
        this.needed = end - pos;
        break;
      }
      const first = buf[pos];
      this.onPacket(buf, first >> 4, first & 0x0f, i, end);
      pos = end;
    }
    if (pos < n) {
      const rest = buf.subarray(pos);
      this.parts.push(rest);
      this.partsLength = rest.length;
    }
  }
}
