// Taking a session over from another node: the session may be connected there, or parked
// there. Its subscriptions are indexed here first, so nothing published during the
// handover is missed; then that node is asked to close its connection, save the session
// and stop caring for it, with a bounded wait. A slow node hands back what it queued with
// its late answer; one that never answers leaves the log as the only copy of what it had
// in flight, so the log is replayed from its mark (docs/invariants.md, Cluster).
import { isExpired } from '@edgemq/model';
import type { BrokerState } from './broker-state.js';
import type { LocalDelivery } from './local-delivery.js';
import type { LocalSessions } from './local-sessions.js';
import type { ParkedQueues } from './parked-queues.js';
import type { Replay } from './replay.js';
import { type DeliveryTarget, Session } from './session.js';
import { settlesWithin } from './settles-within.js';

/** How long a takeover keeps listening for a slow old owner after the 1 s bound. */
const LATE_ANSWER_MS = 30_000;

/** What a takeover needs of the connection that asks for the session. */
export interface TakeoverRequest {
  clientId: string;
  cleanStart: boolean;
  target: DeliveryTarget;
}

export class RemoteTakeover {
  constructor(
    private readonly state: BrokerState,
    private readonly local: LocalSessions,
    private readonly replay: Replay,
    private readonly delivery: LocalDelivery,
    private readonly parked: ParkedQueues,
  ) {}

  /**
   * Takes `request.clientId`'s session over from the node that owns it, if another does.
   * Returns the old owner's replay mark when it did not hand over (dead, or not answering).
   */
  async takeOver(request: TakeoverRequest): Promise<number | undefined> {
    const { state } = this;
    const { clientId } = request;
    const stored = await state.backbone.sessions.load(clientId);
    if (!stored || stored.ownerNode === state.nodeId) return undefined;
    const oldOwner = stored.ownerNode;
    const live = stored.expiresAtMs === null || stored.expiresAtMs > state.now();
    if (!request.cleanStart && live && !state.sessions.has(clientId)) {
      const session = new Session(clientId);
      session.target = request.target;
      state.sessions.set(clientId, session);
      for (const sub of stored.subscriptions) {
        this.local.restoreSubscription(session, sub.filter, sub.options);
      }
    }
    const command = { type: 'takeover', clientId, cleanStart: request.cleanStart };
    // The old owner's replay mark, read now: once a survivor adopts that node, it is gone.
    const mark = state.backbone.nodes.replayFrom(oldOwner).catch((error: unknown) => {
      state.log.warn(
        { clientId, oldOwner, err: error },
        'replay mark of the old owner unreadable: if it does not hand over, nothing is replayed',
      );
      return undefined;
    });
    // Wait for the answer up to the bound; a slow owner may still queue for the parked
    // session until it answers, so its late answer makes us collect the queue once more.
    const answer = state.backbone.control.request(oldOwner, command, LATE_ANSWER_MS);
    if (await settlesWithin(answer, state.takeoverTimeoutMs)) {
      const handedOver = await answer.then(
        (answered) => answered,
        (error: unknown) => {
          state.log.warn({ clientId, oldOwner, err: error }, 'takeover request failed: replaying the log');
          return false;
        },
      );
      return handedOver ? undefined : mark;
    }
    // Slow: it still owns what it had in flight, and hands it back with its late answer. Only
    // if that answer never comes is the log the one place left to find those messages.
    answer.then(
      () =>
        this.collectLateQueue(clientId).catch((error: unknown) => {
          state.log.warn(
            { clientId, oldOwner, err: error },
            'late takeover answer: queue not collected; it stays queued for the next resume',
          );
        }),
      () =>
        this.replay.replayLate(clientId, mark).catch((error: unknown) => {
          state.log.error(
            { clientId, oldOwner, err: error },
            'old owner never answered the takeover and replaying the log failed: what it had in flight is lost',
          );
        }),
    );
    return undefined;
  }

  /** Hands what a slow old owner queued after our takeover to the session's connection. */
  private async collectLateQueue(clientId: string): Promise<void> {
    const { state } = this;
    const session = state.sessions.get(clientId);
    if (!session?.target) return;
    const late = await this.parked.takeAll(clientId);
    const now = state.now();
    for (const message of late) {
      if (isExpired(message, now) || !session.target) continue;
      // Queued on the old owner's side after it was admitted there: not a new arrival.
      session.target.deliver(message, this.delivery.recoveredDeliveryFor(session, message));
    }
  }
}
