// Corked output: what a connection writes during one event-loop turn leaves in one go (one
// WebSocket message, one socket write) once the turn's I/O callbacks have run. Writes are
// kept per connection in the order made; a single setImmediate flushes every connection
// that wrote. Connections are flushed independently: one whose flush throws is reported
// and given up (flushFailed), and the others are flushed all the same.

/** A connection with output waiting. */
export interface Flushable {
  flush(): void;
  /** flush() threw: the connection is in an unknown state (CorkedOutput destroys it). */
  flushFailed?(error: unknown): void;
}

let dirty: Flushable[] = [];
let scheduled = false;

function flushAll(): void {
  const list = dirty;
  dirty = [];
  scheduled = false;
  for (let i = 0; i < list.length; i++) {
    const connection = list[i];
    try {
      connection.flush();
    } catch (error) {
      giveUp(connection, error);
    }
  }
}

/** An error out of a flush must not take the process (and every other connection) down. */
function giveUp(connection: Flushable, error: unknown): void {
  console.error('connection output failed; closing the connection', error);
  try {
    connection.flushFailed?.(error);
  } catch (again) {
    console.error('could not close a connection whose output failed', again);
  }
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

  /** Closes the connection at once, dropping what is queued. */
  abstract destroy(): void;

  /** flush() threw (the transport, or a handler it called): drop the output and the connection. */
  flushFailed(_error: unknown): void {
    // Whatever is still queued would keep later writes from scheduling a flush.
    this.dropQueued();
    this.destroy();
  }

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
    return join(first, more, 0, more.length, total, scratch ? scratch.get(total) : Buffer.allocUnsafe(total));
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
    // Chunk i is `first` for 0, else more[i - 1]; a batch is chunks [i, j).
    const count = more.length + 1;
    for (let i = 0; i < count; ) {
      const head = i === 0 ? first : more[i - 1];
      let j = i + 1;
      let size = head.length;
      while (j < count && size + more[j - 1].length <= maxBatch) {
        size += more[j - 1].length;
        j++;
      }
      if (j === i + 1) this.sendBatch(head);
      else this.sendBatch(join(head, more, i, j - 1, size, scratch.get(size)));
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

/** `head` then more[from, to) copied into `out`, viewed at their `size` bytes. */
function join(
  head: Uint8Array,
  more: Uint8Array[],
  from: number,
  to: number,
  size: number,
  out: Buffer,
): Uint8Array {
  out.set(head, 0);
  let offset = head.length;
  for (let k = from; k < to; k++) {
    out.set(more[k], offset);
    offset += more[k].length;
  }
  return out.length === size ? out : out.subarray(0, size);
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
