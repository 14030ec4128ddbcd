// The figures of one scenario, computed from the ledger.
//
// A (subscription, message) pair is expected when the message was published at QoS 1 or 2
// and acknowledged with a success code, its topic matches the subscription's filter, and
// the subscription existed for it: sent after the subscription's first SUBACK (persistent
// sessions and shared groups: they never expire within a run), or, for a clean session,
// sent after the SUBACK of one of its connections and acknowledged at least `cleanGraceMs`
// before that connection ended (what is in flight when a clean session ends may go with
// it). An expected pair is delivered when any member of the subscription received the
// message at least once; otherwise it is lost. Copies beyond the first are duplicates.
import { messageKey } from '../clients/payload.js';
import type { Ledger, PublishRecord, SubscriptionRecord } from './ledger.js';
import { topicMatches } from './topic-filter.js';

export interface LossDetail {
  readonly subscription: string;
  readonly description: string;
  readonly lost: number;
  /** Per publisher: "pub-3 (QoS 2): 4 [17-19, 25]". */
  readonly byPublisher: string[];
  /** When the lost messages were sent, relative to the end of the fault: "-0.4 s..+3.9 s". */
  readonly sentWindow: string;
}

export interface DuplicateDetail {
  readonly subscription: string;
  readonly description: string;
  /** Per publisher: "pub-3 (delivered at QoS 2): 4". */
  readonly byPublisher: string[];
}

export interface Tally {
  /** QoS 1/2 publishes acknowledged with a success code. */
  readonly acknowledged: number;
  readonly expected: number;
  readonly delivered: number;
  /** Extra copies of QoS 1/2 messages (beyond the first per subscription). */
  readonly duplicated: number;
  /** Extra copies delivered at QoS 2 (published and subscribed at 2): exactly once broken, unless a clean publisher sent them again. */
  readonly duplicatedQos2: number;
  readonly lost: number;
  readonly losses: LossDetail[];
  readonly duplicates: DuplicateDetail[];
}

export function tally(ledger: Ledger, cleanGraceMs: number): Tally {
  const acked = [...ledger.publishes.values()].filter((p) => p.qos > 0 && p.ackedAt !== undefined);
  let expected = 0;
  let delivered = 0;
  let duplicated = 0;
  let duplicatedQos2 = 0;
  const losses: LossDetail[] = [];
  const duplicates: DuplicateDetail[] = [];
  const faultEnd = ledger.fault?.end;
  for (const sub of ledger.subscriptions.values()) {
    const missing: PublishRecord[] = [];
    for (const p of acked) {
      if (!isExpected(sub, p, cleanGraceMs)) continue;
      expected++;
      if ((sub.copies.get(messageKey(p.publisher, p.seq)) ?? 0) > 0) delivered++;
      else missing.push(p);
    }
    const extra = new Map<string, { qos: number; copies: number }>();
    for (const [key, copies] of sub.copies) {
      const p = ledger.publishes.get(key);
      if (copies <= 1 || p === undefined || p.qos === 0) continue;
      duplicated += copies - 1;
      // Delivered at the lower of the two QoS: only QoS 2 both ways promises exactly once.
      const delivered = Math.min(p.qos, sub.spec.qos);
      if (delivered === 2) duplicatedQos2 += copies - 1;
      const known = extra.get(p.publisher) ?? { qos: delivered, copies: 0 };
      known.copies += copies - 1;
      extra.set(p.publisher, known);
    }
    if (extra.size > 0) {
      duplicates.push({
        subscription: sub.spec.name,
        description: sub.spec.description,
        byPublisher: [...extra].map(
          ([publisher, d]) => `${publisher} (delivered at QoS ${d.qos}): ${d.copies}`,
        ),
      });
    }
    if (missing.length > 0) {
      losses.push({
        subscription: sub.spec.name,
        description: sub.spec.description,
        lost: missing.length,
        byPublisher: describeMissing(missing),
        sentWindow: sentWindow(missing, faultEnd),
      });
    }
  }
  return {
    acknowledged: acked.length,
    expected,
    delivered,
    duplicated,
    duplicatedQos2,
    lost: expected - delivered,
    losses,
    duplicates,
  };
}

function isExpected(sub: SubscriptionRecord, p: PublishRecord, cleanGraceMs: number): boolean {
  if (!topicMatches(sub.spec.filter, p.topic)) return false;
  const ackedAt = p.ackedAt as number;
  if (sub.spec.persistent) return sub.windows.length > 0 && p.sentAt >= sub.windows[0].from;
  return sub.windows.some(
    (w) => p.sentAt >= w.from && (w.to === undefined || ackedAt <= w.to - cleanGraceMs),
  );
}

function describeMissing(missing: readonly PublishRecord[]): string[] {
  const byPublisher = new Map<string, PublishRecord[]>();
  for (const p of missing) byPublisher.set(p.publisher, [...(byPublisher.get(p.publisher) ?? []), p]);
  return [...byPublisher.entries()].map(
    ([publisher, list]) =>
      `${publisher} (QoS ${list[0].qos}): ${list.length} [${seqRanges(list.map((p) => p.seq))}]`,
  );
}

function sentWindow(missing: readonly PublishRecord[], faultEnd: number | undefined): string {
  if (faultEnd === undefined) return '';
  const offsets = missing.map((p) => (p.sentAt - faultEnd) / 1000);
  const fmt = (s: number) => `${s >= 0 ? '+' : ''}${s.toFixed(1)} s`;
  return `${fmt(Math.min(...offsets))}..${fmt(Math.max(...offsets))}`;
}

/** 1,2,3,7,9,10 -> "1-3, 7, 9-10". */
export function seqRanges(seqs: readonly number[]): string {
  const sorted = [...seqs].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    ranges.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return ranges.join(', ');
}
