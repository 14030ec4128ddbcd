// Replay: what a node had in flight to its sessions when it died (or stopped answering)
// is still in the log. Whoever takes those sessions over reads the log from that node's
// replay mark and hands each session the QoS 1 messages its own subscriptions match.
// The mark each node records with its heartbeat is computed here too, and the sessions
// being replayed into are tracked so a handover waits for them (docs/invariants.md).
import { isExpired, type Message } from '@edgemq/model';
import type { BrokerState } from './broker-state.js';
import { isOwnAndNoLocal, type LocalDelivery, mergedDeliveries } from './local-delivery.js';
import type { ParkedQueues } from './parked-queues.js';
import { isSharedGroup, type Session } from './session.js';

/**
 * Replay starts this much before a dead node's mark: the mark is in that node's clock,
 * log entries carry Redis's, and a message's creation precedes its append.
 */
const REPLAY_MARGIN_MS = 2000;
/** A failed log read is tried again after this long, doubling up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2000;

export class Replay {
  /** Adopted sessions whose replay is still running, by client id. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly state: BrokerState,
    private readonly delivery: LocalDelivery,
    private readonly parked: ParkedQueues,
  ) {}

  /**
   * The log time from which a survivor must replay the log for this node's sessions if
   * this node dies now: nothing older is still only in this node's hands. Every QoS 1/2
   * message not yet acknowledged by its client or stored in a queue holds it back, and so
   * does a log reader that is behind.
   */
  markMs(): number {
    let mark = Math.min(this.state.now(), this.state.backbone.logPositionMs());
    mark = this.parked.holdBack(mark);
    for (const session of this.state.sessions.values()) {
      const oldest = session.target?.oldestUnsettledMs?.();
      if (oldest !== undefined && oldest < mark) mark = oldest;
    }
    return mark;
  }

  /**
   * Reads the log from `sinceMs` and returns, per session of `sessions`, the messages it
   * should get at QoS 1 under its own (non-shared) subscriptions, oldest first. QoS 2
   * deliveries are left out: the client may have completed them already, and exactly once
   * forbids a second copy. Shared groups are left out: another member may have had it.
   */
  async replayFor(sessions: ReadonlySet<Session>, sinceMs: number): Promise<Map<Session, Message[]>> {
    // What the log holds for these sessions exists nowhere else: a failed read (Redis away)
    // is tried again until it succeeds or none of the sessions is held here any more.
    for (let waitMs = RETRY_FIRST_MS; ; waitMs = Math.min(2 * waitMs, RETRY_MAX_MS)) {
      try {
        return await this.readFor(sessions, sinceMs);
      } catch (error) {
        const held = [...sessions].filter((s) => this.state.sessions.get(s.clientId) === s);
        if (held.length === 0) throw error;
        this.state.log.warn(
          { clientIds: held.slice(0, 10).map((s) => s.clientId), sessions: held.length, err: error },
          `replaying the log failed: retrying in ${waitMs} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  private async readFor(sessions: ReadonlySet<Session>, sinceMs: number): Promise<Map<Session, Message[]>> {
    const { state } = this;
    const found = new Map<Session, Message[]>();
    const now = state.now();
    await state.backbone.replay(sinceMs - REPLAY_MARGIN_MS, (message) => {
      if (message.qos === 0 || isExpired(message, now)) return;
      const merged = mergedDeliveries(state.index.match(message.topic), message, (entry) =>
        isSharedGroup(entry) || !sessions.has(entry.session) || isOwnAndNoLocal(message, entry)
          ? undefined
          : entry,
      );
      for (const [session, delivery] of merged) {
        if (delivery.qos !== 1) continue;
        const list = found.get(session);
        if (list) list.push({ ...message, qos: 1 });
        else found.set(session, [{ ...message, qos: 1 }]);
      }
    });
    state.counters.replayed += [...found.values()].reduce((n, list) => n + list.length, 0);
    return found;
  }

  /**
   * Replayed messages go to the session's connection, or (stored before this resolves) to
   * its queue while it is parked.
   */
  handReplayed(session: Session, messages: Message[]): Promise<void> {
    const { state } = this;
    return state.openLock.run(session.clientId, async () => {
      if (state.sessions.get(session.clientId) !== session) return; // handed on meanwhile
      for (const message of messages) {
        // Recovered copies: the session's queue bound does not count (or drop) them.
        if (!session.target) {
          await this.parked.push(session.clientId, message, true);
          continue;
        }
        session.target.deliver(message, this.delivery.recoveredDeliveryFor(session, message));
      }
    });
  }

  /** The old owner never answered a takeover: replay from its mark into the session here. */
  async replayLate(clientId: string, mark: Promise<number | undefined>): Promise<void> {
    const session = this.state.sessions.get(clientId);
    const sinceMs = await mark;
    if (!session || sinceMs === undefined) return;
    const replayed = (await this.replayFor(new Set([session]), sinceMs)).get(session) ?? [];
    this.state.log.info(
      { clientId, sinceMs, messages: replayed.length },
      'old owner never answered the takeover: replayed the log into the session',
    );
    await this.handReplayed(session, replayed);
  }

  /** `clientId`'s session is being replayed into until `done` settles. */
  begin(clientId: string, done: Promise<void>): void {
    this.running.set(clientId, done);
  }

  /** The replay that `done` stands for is over. */
  end(clientId: string, done: Promise<void>): void {
    if (this.running.get(clientId) === done) this.running.delete(clientId);
  }

  /** Settles once a replay running into `clientId`'s session is over; undefined when none runs. */
  runningFor(clientId: string): Promise<void> | undefined {
    return this.running.get(clientId);
  }
}
