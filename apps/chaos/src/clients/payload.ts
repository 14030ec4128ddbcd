// A chaos message's payload: who published it, its number in that publisher's sequence,
// and when it was handed to the client library (the subscriber side needs all three to
// tell lost, duplicated and late messages apart).

export interface ChaosPayload {
  readonly publisher: string;
  readonly seq: number;
  readonly sentAt: number;
}

export const encodePayload = (p: ChaosPayload): Buffer =>
  Buffer.from(JSON.stringify({ p: p.publisher, s: p.seq, t: p.sentAt }));

/** The payload, or undefined for a message this suite did not publish. */
export function decodePayload(bytes: Buffer): ChaosPayload | undefined {
  try {
    const raw = JSON.parse(bytes.toString()) as { p?: unknown; s?: unknown; t?: unknown };
    if (typeof raw.p !== 'string' || typeof raw.s !== 'number' || typeof raw.t !== 'number') return undefined;
    return { publisher: raw.p, seq: raw.s, sentAt: raw.t };
  } catch {
    return undefined;
  }
}

/** The key a message is known by in the ledger. */
export const messageKey = (publisher: string, seq: number) => `${publisher}#${seq}`;
