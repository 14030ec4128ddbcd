// Corked output: what a connection writes during one event-loop turn leaves in one go (one
// WebSocket message, one socket write) once the turn's I/O callbacks have run. Writes are
// kept per connection in the order made; a single setImmediate flushes every connection
// that wrote.

/** A connection with output waiting. */
export interface Flushable {
  flush(): void;
}

let dirty: Flushable[] = [];
let scheduled = false;

function flushAll(): void {
  const list = dirty;
  dirty = [];
  scheduled = false;
  for (let i = 0; i < list.length; i++) list[i].flush();
}

/** Flushes `connection` at the end of this turn; call once per turn (when its output goes from empty to not). */
export function flushSoon(connection: Flushable): void {
  dirty.push(connection);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

/**
 * Buffered writes of one connection, as a base class so they cost no object of their own:
 * a first chunk, then a list only when there are more. Chunks are kept, not copied:
 * writers hand over buffers they no longer change.
 */
export abstract class CorkedOutput implements Flushable {
  private firstQueued?: Uint8Array;
  private moreQueued?: Uint8Array[];
  /** Bytes written and not yet flushed. */
  protected queuedBytes = 0;

  abstract flush(): void;

  /** Queues `data` and makes sure a flush is due this turn. */
  protected queue(data: Uint8Array): void {
    this.queuedBytes += data.length;
    if (this.firstQueued === undefined) {
      this.firstQueued = data;
      flushSoon(this);
    } else if (this.moreQueued) this.moreQueued.push(data);
    else this.moreQueued = [data];
  }

  /**
   * Takes everything queued as one chunk. `scratch` (when given) may hold it when there
   * are several chunks: for transports that copy what they send before returning.
   */
  protected takeQueued(scratch?: Scratch): Uint8Array | undefined {
    const first = this.firstQueued;
    if (first === undefined) return undefined;
    const more = this.moreQueued;
    const total = this.queuedBytes;
    this.dropQueued();
    if (!more) return first;
    const out = scratch ? scratch.get(total) : Buffer.allocUnsafe(total);
    out.set(first, 0);
    let offset = first.length;
    for (let i = 0; i < more.length; i++) {
      out.set(more[i], offset);
      offset += more[i].length;
    }
    return out.length === total ? out : out.subarray(0, total);
  }

  /**
   * Sends everything queued, in order, through sendBatch: consecutive chunks joined (in
   * `scratch`, so sendBatch must copy before returning) up to `maxBatch` bytes; a chunk
   * larger than that goes alone.
   */
  protected sendQueuedInBatches(maxBatch: number, scratch: Scratch): void {
    const first = this.firstQueued;
    if (first === undefined) return;
    const more = this.moreQueued;
    this.dropQueued();
    if (!more) {
      this.sendBatch(first);
      return;
    }
    const count = more.length + 1;
    const chunk = (i: number) => (i === 0 ? first : more[i - 1]);
    for (let i = 0; i < count; ) {
      let j = i + 1;
      let size = chunk(i).length;
      while (j < count && size + chunk(j).length <= maxBatch) size += chunk(j++).length;
      if (j === i + 1) {
        this.sendBatch(chunk(i));
      } else {
        const out = scratch.get(size);
        let offset = 0;
        for (let k = i; k < j; k++) {
          const c = chunk(k);
          out.set(c, offset);
          offset += c.length;
        }
        this.sendBatch(out.subarray(0, size));
      }
      i = j;
    }
  }

  /** Sends one batch (see sendQueuedInBatches); only transports that batch override it. */
  protected sendBatch(_data: Uint8Array): void {
    throw new Error('sendBatch not implemented');
  }

  protected dropQueued(): void {
    this.firstQueued = undefined;
    this.moreQueued = undefined;
    this.queuedBytes = 0;
  }
}

/** One reusable buffer for joining chunks that are copied away at once (uWS send copies). */
export class Scratch {
  private buffer = Buffer.allocUnsafe(64 * 1024);

  /** At least `size` bytes, valid until the next call. */
  get(size: number): Buffer {
    if (size > this.buffer.length) {
      // Big joins (large payloads) get their own buffer rather than growing the shared one.
      if (size > 1024 * 1024) return Buffer.allocUnsafe(size);
      this.buffer = Buffer.allocUnsafe(Math.max(size, this.buffer.length * 2));
    }
    return this.buffer;
  }
}
