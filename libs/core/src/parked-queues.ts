// The queues of parked sessions: a persistent session without a connection gets its
// QoS 1/2 matches pushed to its queue in the backbone. Until a push is stored, the
// message is only in this node's hands: each push in flight holds the node's replay mark
// back, and a handover waits for a session's pushes before the new owner takes its queue.
// The bound (maxQueuedMessages, queueOverflow) is for messages arriving while the session
// stays away; a copy recovered for it (replayed from the log after a node died) is pushed
// outside the bound, and the bound of later pushes grows by as many, so that no arrival
// pushes a recovered message out (docs/invariants.md).
import type { QueueOverflow, QueueStore } from '@edgemq/backbone';
import type { Message } from '@edgemq/model';
import type { BrokerState } from './broker-state.js';
import type { CoreLogger } from './core-logger.js';
import type { Counters } from './counters.js';

export class ParkedQueues {
  /** Pushes not yet stored: the log time of each message, by push number. */
  private readonly queueing = new Map<number, number>();
  private queueingSeq = 0;
  /** The latest push not yet stored, per client id (pushes are stored in order). */
  private readonly pushing = new Map<string, Promise<void>>();
  private readonly queues: QueueStore;
  private readonly maxQueuedMessages: number;
  private readonly overflow: QueueOverflow;
  /** Recovered messages pushed to a queue since it was last taken, by client id. */
  private readonly recovered = new Map<string, number>();
  /** Client ids whose queue has dropped messages since it was last taken (logged once). */
  private readonly overflowing = new Set<string>();
  private readonly counters: Counters;
  private readonly now: () => number;
  private readonly log: CoreLogger;

  constructor(state: BrokerState) {
    this.queues = state.backbone.queues;
    this.maxQueuedMessages = state.maxQueuedMessages;
    this.overflow = state.queueOverflow;
    this.counters = state.counters;
    this.now = state.now;
    this.log = state.log;
  }

  /**
   * Pushes to a parked session's queue; until stored, the push holds the replay mark back
   * to the message's time (never later than now). Resolves once stored, or once a failed
   * push is logged: it never rejects, so a live delivery need not wait for it.
   */
  push(clientId: string, message: Message, recovered = false): Promise<void> {
    const push = ++this.queueingSeq;
    this.queueing.set(push, Math.min(this.now(), message.createdAtMs));
    const alreadyRecovered = this.recovered.get(clientId) ?? 0;
    if (recovered) this.recovered.set(clientId, alreadyRecovered + 1);
    const stored = this.queues
      .push(
        clientId,
        message,
        recovered ? Number.MAX_SAFE_INTEGER : this.maxQueuedMessages + alreadyRecovered,
        this.overflow,
      )
      .then(
        (result) => {
          this.queueing.delete(push);
          if (result.dropped > 0) this.overflowed(clientId, result.dropped);
        },
        (error: unknown) => {
          this.queueing.delete(push);
          // The mark moves past it now: neither a resume nor a replay will bring it back.
          this.log.error(
            { clientId, topic: message.topic, qos: message.qos, err: error },
            'message for a parked session lost: its queue push failed',
          );
        },
      );
    this.pushing.set(clientId, stored);
    stored.then(() => {
      if (this.pushing.get(clientId) === stored) this.pushing.delete(clientId);
    });
    return stored;
  }

  /**
   * Takes every message of `clientId`'s queue (a resuming or moving session): whatever was
   * recovered into it is in hand now, and the bound starts afresh.
   */
  takeAll(clientId: string): Promise<Message[]> {
    this.recovered.delete(clientId);
    this.overflowing.delete(clientId);
    return this.queues.take(clientId, Number.MAX_SAFE_INTEGER);
  }

  private overflowed(clientId: string, dropped: number): void {
    this.counters.droppedQueueOverflow += dropped;
    if (this.overflowing.has(clientId)) return;
    // Once per stay away: a full queue of a busy topic would otherwise log every message.
    this.overflowing.add(clientId);
    this.log.warn(
      { clientId, maxQueuedMessages: this.maxQueuedMessages, queueOverflow: this.overflow },
      'parked session queue full: messages for it are being dropped',
    );
  }

  /** Settles once every push to `clientId`'s queue started so far has; undefined when none runs. */
  settled(clientId: string): Promise<void> | undefined {
    return this.pushing.get(clientId);
  }

  /** `mark`, or the log time of the oldest push still in flight when that is earlier. */
  holdBack(mark: number): number {
    for (const since of this.queueing.values()) if (since < mark) mark = since;
    return mark;
  }
}
