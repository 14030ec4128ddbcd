// A lean MQTT 3.1.1 client for load: CONNECT/CONNACK and SUBSCRIBE/SUBACK handshakes, then
// raw packets in both directions. No per-message objects: received PUBLISH packets go to
// `onPublish(buf, flags, start, end)` as offsets into the read buffer, PUBACKs to `onPuback`.
// Sending is the caller's business (`wire.write` of pre-encoded batches).

import { connectPacket, PacketType, subscribePacket } from './packets.js';
import { PacketReader } from './reader.js';
import { type Endpoint, openWire, type Wire } from './wire.js';

export type PublishHandler = (buf: Buffer, flags: number, start: number, end: number) => void;

export class LeanClient {
  onPublish: PublishHandler = () => {};
  onPuback: (messageId: number) => void = () => {};
  /** Called after each received chunk has been split into packets (flush acks here). */
  onChunkEnd: () => void = () => {};
  closed = false;
  closeReason = '';

  private waiters = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
  private nextSubscribeId = 1;

  private constructor(
    readonly wire: Wire,
    readonly clientId: string,
  ) {
    const reader = new PacketReader((buf, type, flags, start, end) => {
      switch (type) {
        case PacketType.Publish:
          this.onPublish(buf, flags, start, end);
          break;
        case PacketType.Puback:
          this.onPuback(buf.readUInt16BE(start));
          break;
        case PacketType.Connack: {
          const code = buf[start + 1];
          if (code === 0) this.settle('connack');
          else this.settle('connack', new Error(`${clientId}: CONNACK return code ${code}`));
          break;
        }
        case PacketType.Suback: {
          const id = buf.readUInt16BE(start);
          for (let p = start + 2; p < end; p++) {
            if (buf[p] === 0x80) {
              this.settle(`suback:${id}`, new Error(`${clientId}: subscription refused (SUBACK 0x80)`));
              return;
            }
          }
          this.settle(`suback:${id}`);
          break;
        }
        default:
          break; // PINGRESP, UNSUBACK: nothing to do
      }
    });
    wire.onData((chunk) => {
      reader.push(chunk);
      this.onChunkEnd();
    });
    wire.onClose((reason) => {
      this.closed = true;
      this.closeReason = reason;
      for (const [key, w] of this.waiters) {
        w.reject(new Error(`${clientId}: connection closed while waiting for ${key}: ${reason}`));
      }
      this.waiters.clear();
    });
  }

  static async connect(
    endpoint: Endpoint,
    clientId: string,
    { keepaliveSec = 0, timeoutMs = 15_000 } = {},
  ): Promise<LeanClient> {
    const wire = await openWire(endpoint);
    const client = new LeanClient(wire, clientId);
    const acked = client.waitFor('connack', timeoutMs);
    wire.write(connectPacket(clientId, keepaliveSec));
    await acked;
    return client;
  }

  /**
   * Subscribes to `filters`, `perPacket` filters per SUBSCRIBE, with at most `window`
   * SUBSCRIBEs unacknowledged; writes all packets of one window in one batch.
   */
  async subscribe(
    filters: readonly string[],
    qos: 0 | 1,
    { perPacket = 1, window = 64 } = {},
  ): Promise<void> {
    const packets: string[][] = [];
    for (let i = 0; i < filters.length; i += perPacket)
      packets.push(filters.slice(i, i + perPacket) as string[]);
    for (let i = 0; i < packets.length; i += window) {
      const slice = packets.slice(i, i + window);
      const waits: Promise<void>[] = [];
      const bytes: Buffer[] = [];
      for (const group of slice) {
        const id = this.nextSubscribeId;
        this.nextSubscribeId = (this.nextSubscribeId % 65535) + 1;
        waits.push(this.waitFor(`suback:${id}`, 30_000));
        bytes.push(subscribePacket(id, group, qos));
      }
      this.wire.write(Buffer.concat(bytes));
      await Promise.all(waits);
    }
  }

  close(): void {
    this.wire.close();
  }

  private waitFor(key: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error(`${this.clientId}: connection closed: ${this.closeReason}`));
        return;
      }
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`${this.clientId}: no ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }

  private settle(key: string, err?: Error): void {
    const w = this.waiters.get(key);
    if (w === undefined) return;
    this.waiters.delete(key);
    if (err) w.reject(err);
    else w.resolve();
  }
}
