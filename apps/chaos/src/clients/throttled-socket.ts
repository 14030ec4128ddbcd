// A TCP connection whose reading side can be slowed down: what arrives from the broker is
// handed to the MQTT client at most `bytesPerSec` while throttled. Beyond a small buffer
// the socket itself is paused, so the kernel's receive window fills and the broker sees a
// client that reads slowly (its writes back up, acknowledgements come late).
import { connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';

const TICK_MS = 50;
/** Bytes held here before the socket is paused. */
const HOLD_BYTES = 16 * 1024;

export interface ReadThrottle {
  /** Bytes per second handed on while throttled; undefined when reading at full speed. */
  bytesPerSec: number | undefined;
}

export class ThrottledSocket extends Duplex {
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  private ended = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    throttle: ReadThrottle,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes > HOLD_BYTES) socket.pause();
      if (throttle.bytesPerSec === undefined) this.release(Infinity);
    });
    socket.on('end', () => {
      this.ended = true;
      this.release(0);
    });
    socket.on('close', () => this.destroy());
    socket.on('error', (error) => this.destroy(error));
    this.timer = setInterval(() => {
      const rate = throttle.bytesPerSec;
      this.release(rate === undefined ? Infinity : (rate * TICK_MS) / 1000);
    }, TICK_MS);
  }

  /** Hands on up to `budget` held bytes; resumes the socket once little is held. */
  private release(budget: number): void {
    while (budget > 0 && this.held.length > 0) {
      const chunk = this.held[0];
      const take = Math.min(chunk.length, Math.max(1, Math.floor(budget)));
      this.push(chunk.subarray(0, take));
      budget -= take;
      this.heldBytes -= take;
      if (take === chunk.length) this.held.shift();
      else this.held[0] = chunk.subarray(take);
    }
    if (this.heldBytes <= HOLD_BYTES / 2 && this.socket.isPaused()) this.socket.resume();
    if (this.ended && this.held.length === 0) this.push(null);
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearInterval(this.timer);
    this.socket.destroy();
    callback(error);
  }
}

/** A stream builder for MQTT.js: each attempt connects to the next port of `ports`, throttled. */
export function throttledTcp(host: string, ports: readonly number[], throttle: ReadThrottle) {
  let attempt = 0;
  return () => new ThrottledSocket(connect({ host, port: ports[attempt++ % ports.length] }), throttle);
}
