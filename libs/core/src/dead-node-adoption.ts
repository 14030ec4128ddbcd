// Dead-node adoption: the one survivor that won the claim on a silent node takes care of
// its clients. Wills stored with its connected sessions are published, its clean sessions
// deleted, its persistent ones adopted (parked here, queueing from now on), and what it
// had in flight is replayed from its mark into them. A handover of an adopted session
// waits for that replay, so the new owner's queue take gets what the replay queued.
import type { BrokerState } from './broker-state.js';
import type { LocalSessions } from './local-sessions.js';
import type { Replay } from './replay.js';
import { Session } from './session.js';
import type { Wills } from './wills.js';

export class DeadNodeAdoption {
  constructor(
    private readonly state: BrokerState,
    private readonly local: LocalSessions,
    private readonly wills: Wills,
    private readonly replay: Replay,
  ) {}

  /** Adopts `deadNodeId`'s clients; returns how many sessions were adopted. */
  async adopt(deadNodeId: string): Promise<number> {
    const { backbone } = this.state;
    const adopted = new Set<Session>();
    let replayed!: () => void;
    const replayDone = new Promise<void>((resolve) => {
      replayed = resolve;
    });
    for (const clientId of await backbone.nodes.owned(deadNodeId)) {
      await this.state.openLock.run(clientId, async () => {
        const session = await this.adoptSession(deadNodeId, clientId);
        if (!session) return;
        adopted.add(session);
        this.replay.begin(clientId, replayDone);
      });
    }
    try {
      await this.replayAdopted(deadNodeId, adopted);
    } finally {
      for (const session of adopted) this.replay.end(session.clientId, replayDone);
      replayed();
    }
    await backbone.shared.forgetNode(deadNodeId);
    await backbone.nodes.forget(deadNodeId);
    return adopted.size;
  }

  /** One client of the dead node: its will, then its session freed or adopted (returned). */
  private async adoptSession(deadNodeId: string, clientId: string): Promise<Session | undefined> {
    const { state } = this;
    const { backbone } = state;
    const record = await backbone.sessions.load(clientId);
    if (!record || record.ownerNode !== deadNodeId) return undefined; // moved on already
    if (record.will) this.wills.publishNow(record.will);
    const expiryMs = record.sessionExpiryMs === undefined ? null : record.sessionExpiryMs;
    if (expiryMs === 0) {
      await backbone.sessions.delete(clientId, record.generation);
      return undefined;
    }
    const claim = await backbone.sessions.claim(clientId, state.nodeId, state.now());
    if (!claim.previous || state.sessions.has(clientId)) return undefined;
    const session = new Session(clientId);
    session.generation = claim.generation;
    session.persistent = true;
    session.sessionExpiryMs = expiryMs;
    state.sessions.set(clientId, session);
    for (const sub of claim.previous.subscriptions) {
      this.local.restoreSubscription(session, sub.filter, sub.options);
    }
    // A parked session keeps its deadline; a connected one starts counting now.
    const expiresAtMs = record.expiresAtMs ?? (expiryMs === null ? null : state.now() + expiryMs);
    await this.local.save(session, expiresAtMs, claim.previous.protocolState);
    if (expiresAtMs !== null) this.local.scheduleExpiry(session, expiresAtMs);
    await backbone.nodes.noteOwner(state.nodeId, clientId);
    return session;
  }

  /**
   * What the dead node had in flight to its clients, or missed while nobody served its
   * sessions, is still in the log: replay it from the node's mark into the adopted sessions.
   */
  private async replayAdopted(deadNodeId: string, adopted: ReadonlySet<Session>): Promise<void> {
    if (adopted.size === 0) return;
    const mark = await this.state.backbone.nodes.replayFrom(deadNodeId);
    if (mark === undefined) return;
    const replayed = await this.replay.replayFor(adopted, mark);
    for (const [session, messages] of replayed) await this.replay.handReplayed(session, messages);
  }
}
