// The sessions this node holds, as the rest of the cluster sees them: a session's
// subscriptions sit in the index (a shared group's membership registered in the
// backbone), its record is saved for whoever owns it next, and a parked session with an
// expiry is discarded, with its record, when the expiry passes. An expiry may lie up to
// 0xFFFFFFFF s ahead, beyond Node's setTimeout: it waits on a LongTimeout.
import type { SessionRecord } from '@edgemq/backbone';
import { setLongTimeout } from '@edgemq/model';
import type { BrokerState } from './broker-state.js';
import type { Session, SubscriptionOptions } from './session.js';
import { sharedFilterOf } from './shared-membership.js';
import type { Wills } from './wills.js';

export class LocalSessions {
  constructor(
    private readonly state: BrokerState,
    private readonly wills: Wills,
  ) {}

  /** Puts a stored subscription back into the index (resume, takeover, adoption). */
  restoreSubscription(session: Session, filter: string, options: unknown): void {
    const { newGroup } = this.state.index.add(session, filter, options as SubscriptionOptions);
    if (!newGroup) return;
    this.state.membership.joined(newGroup).catch((error: unknown) => {
      this.state.log.warn(
        { clientId: session.clientId, filter, err: error },
        'shared group membership not registered: other nodes do not count this node in the group',
      );
    });
  }

  /** Forgets `session` here: its subscriptions, expiry timer and shared group memberships. */
  discard(session: Session): void {
    const { state } = this;
    session.expiry?.cancel();
    for (const key of state.index.removeAll(session)) {
      state.membership.left(key).catch((error: unknown) => {
        state.log.warn(
          { clientId: session.clientId, filter: sharedFilterOf(key), err: error },
          'shared group membership not withdrawn: other nodes may still pick this node for the group',
        );
      });
    }
    if (state.sessions.get(session.clientId) === session) state.sessions.delete(session.clientId);
  }

  /** Stores the session's record as this node owns it; false when a later claim refused it. */
  save(session: Session, expiresAtMs: number | null, protocolState: unknown): Promise<boolean> {
    const record: SessionRecord = {
      clientId: session.clientId,
      ownerNode: this.state.nodeId,
      generation: session.generation,
      expiresAtMs,
      subscriptions: [...session.subscriptions.values()].map((s) => ({
        filter: s.filter,
        qos: s.options.qos,
        options: { ...s.options },
      })),
      protocolState,
      sessionExpiryMs: session.sessionExpiryMs,
    };
    if (session.will) record.will = session.will;
    return this.state.backbone.sessions.save(record);
  }

  /** Ends the parked session at `expiresAtMs` unless it was resumed or claimed again by then. */
  scheduleExpiry(session: Session, expiresAtMs: number): void {
    const { state } = this;
    const generation = session.generation;
    session.expiry?.cancel();
    session.expiry = setLongTimeout(() => {
      if (state.sessions.get(session.clientId) !== session || !session.parked) return;
      if (session.generation !== generation) return;
      this.wills.fire(session.clientId); // the session ends: its will is due now
      this.discard(session);
      state.backbone.sessions.delete(session.clientId, generation).catch((error: unknown) => {
        // The next claim treats the expired record as absent and drops it with its queue.
        state.log.warn(
          { clientId: session.clientId, generation, err: error },
          'expired session record not deleted from the backbone',
        );
      });
    }, expiresAtMs - state.now()).unref();
  }
}
