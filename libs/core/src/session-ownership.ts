// Session ownership on this node: a connection opens its client id's session (taking it
// over from an older connection here or from another node, resuming or discarding what
// was stored), closes it again (parked or discarded, will published or scheduled), and a
// session is handed over when another node asks for it. One client id's opens run one at
// a time (the open lock); a stale owner cannot overwrite a record (generations).
import { isExpired, type Message } from '@edgemq/model';
import type { BrokerState } from './broker-state.js';
import type { LocalSessions } from './local-sessions.js';
import type { ParkedQueues } from './parked-queues.js';
import type { RemoteTakeover } from './remote-takeover.js';
import type { Replay } from './replay.js';
import { type DeliveryTarget, Session } from './session.js';
import { settlesWithin } from './settles-within.js';
import type { Wills } from './wills.js';

export interface OpenSessionRequest {
  clientId: string;
  /** Discard any previous session state. */
  cleanStart: boolean;
  /** Keep the session after the connection ends. */
  persistent: boolean;
  target: DeliveryTarget;
  /** How long the session outlives the connection; null = never. Defaults from `persistent`. */
  sessionExpiryMs?: number | null;
  /** Stored with the session so that a survivor publishes it if this node dies. */
  will?: Message;
}

export interface OpenSessionResult {
  session: Session;
  /** A previous session was resumed. */
  present: boolean;
  /** What the protocol stored at the previous disconnect (packets in flight). */
  protocolState?: unknown;
  /** Messages queued while the session was parked, oldest first. */
  queued: Message[];
}

export interface CloseSessionRequest {
  /** Stored for the next connection when the session is persistent. */
  protocolState?: unknown;
  /** When a persistent session may be discarded; null = never. */
  expiresAtMs: number | null;
  /** Overrides the persistence chosen at open (MQTT 5 DISCONNECT may set expiry 0). */
  persistent?: boolean;
  /** Published now, or after `willDelayMs` unless the session is resumed first. */
  will?: Message;
  willDelayMs?: number;
}

export class SessionOwnership {
  constructor(
    private readonly state: BrokerState,
    private readonly local: LocalSessions,
    private readonly wills: Wills,
    private readonly remote: RemoteTakeover,
    private readonly replay: Replay,
    private readonly parked: ParkedQueues,
  ) {}

  /** Claims the session for a new connection, taking it over from an older one. */
  open(request: OpenSessionRequest): Promise<OpenSessionResult> {
    return this.state.openLock.run(request.clientId, () => this.doOpen(request));
  }

  private async doOpen(request: OpenSessionRequest): Promise<OpenSessionResult> {
    const { state, local } = this;
    const { backbone } = state;
    const { clientId } = request;
    const existing = state.sessions.get(clientId);
    if (existing?.target) await this.takeOverLocal(existing);
    const orphanedSinceMs = await this.remote.takeOver(request);
    const claim = await backbone.sessions.claim(clientId, state.nodeId, state.now());
    const current = state.sessions.get(clientId);
    const previous = request.cleanStart ? undefined : claim.previous;
    // A delayed will is cancelled by resuming the session, and sent when a clean start ends it.
    if (previous) this.wills.cancel(clientId);
    else this.wills.fire(clientId);
    if (!previous) {
      if (current) local.discard(current);
      if (claim.previous) await backbone.queues.clear(clientId);
    }
    let session = previous ? current : undefined;
    if (!session) {
      session = new Session(clientId);
      state.sessions.set(clientId, session);
    }
    for (const sub of previous?.subscriptions ?? []) {
      if (!session.subscriptions.has(sub.filter)) local.restoreSubscription(session, sub.filter, sub.options);
    }
    session.expiry?.cancel();
    session.generation = claim.generation;
    session.persistent = request.persistent;
    session.sessionExpiryMs = request.sessionExpiryMs ?? (request.persistent ? null : 0);
    session.will = request.will;
    // From here live messages reach the new connection; queued ones are older and come first.
    session.target = request.target;
    // The old owner is gone without handing over: what it had in flight lives only in the log.
    // Read it before taking the queue, so a failed read loses nothing already taken.
    const replayed =
      previous && orphanedSinceMs !== undefined
        ? ((await this.replay.replayFor(new Set([session]), orphanedSinceMs)).get(session) ?? [])
        : [];
    if (previous && orphanedSinceMs !== undefined) {
      state.log.info(
        { clientId, sinceMs: orphanedSinceMs, messages: replayed.length },
        'old owner did not hand the session over: replayed the log into it',
      );
    }
    const taken = previous ? await this.parked.takeAll(clientId) : [];
    const queued = replayed.length > 0 ? taken.concat(replayed) : taken;
    if (session.persistent || state.clustered) await local.save(session, null, undefined);
    if (state.clustered) await backbone.nodes.noteOwner(state.nodeId, clientId);
    const now = state.now();
    const fresh = queued.filter((m) => !isExpired(m, now));
    state.counters.droppedExpired += queued.length - fresh.length;
    return {
      session,
      present: previous !== undefined,
      protocolState: previous?.protocolState,
      queued: fresh,
    };
  }

  /** Another node is taking `clientId` over: close the connection here and stop caring for the session. */
  async handOver(clientId: string, cleanStart: boolean): Promise<void> {
    // An adopted session being replayed into is handed over with what the replay queued, and
    // a parked one with every push it started: the new owner takes the queue once we answer.
    await this.replay.runningFor(clientId);
    await this.parked.settled(clientId);
    // A delayed will waiting here is cancelled by the resume, or due now if the session ends.
    if (cleanStart) this.wills.fire(clientId);
    else this.wills.cancel(clientId);
    const session = this.state.sessions.get(clientId);
    if (!session) return;
    if (session.target) await this.takeOverLocal(session);
    // The record stays in the backbone for the new owner; only this node's copy goes.
    if (this.state.sessions.get(clientId) === session) this.local.discard(session);
  }

  /** Asks the connection serving `session` to hand it back, bounded; it loses the session either way. */
  private async takeOverLocal(session: Session): Promise<void> {
    const target = session.target;
    if (!target) return;
    await settlesWithin(target.takeOver(), this.state.takeoverTimeoutMs);
    // A connection that did not hand back in time loses the session anyway.
    if (session.target === target) session.target = undefined;
  }

  /** The connection serving `session` ended. Parks or discards the session; handles the will. */
  async close(session: Session, target: DeliveryTarget, request: CloseSessionRequest): Promise<void> {
    if (session.target !== target) {
      // Taken over already: the session lives on, so a will is due at once.
      if (request.will) this.wills.publishNow(request.will);
      return;
    }
    session.target = undefined;
    session.will = undefined;
    const persistent = request.persistent ?? session.persistent;
    session.persistent = persistent;
    const delayMs = request.willDelayMs ?? 0;
    if (request.will) {
      if (persistent && delayMs > 0) this.wills.schedule(session.clientId, request.will, delayMs);
      else this.wills.publishNow(request.will);
    }
    if (!persistent) {
      this.local.discard(session);
      await this.state.backbone.sessions.delete(session.clientId, session.generation);
      return;
    }
    await this.local.save(session, request.expiresAtMs, request.protocolState);
    if (request.expiresAtMs !== null) this.local.scheduleExpiry(session, request.expiresAtMs);
  }
}
