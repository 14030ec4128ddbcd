// Session records: one Redis hash per client id (`{c:<id>}:session`: owner, gen, exp and a
// msgpack body with subscriptions and protocol state) plus a generation key that outlives
// it. claim/save/delete are Lua scripts, so each is atomic; see lua/*.lua.
//
// A record with an expiry is garbage-collected by Redis (PEXPIREAT) GC_GRACE_MS after it;
// until then it is discarded logically, by the next claim whose `nowMs` has passed it.

import type { ClaimResult, SessionRecord, SessionStore } from '../backbone.js';
import { type FailureSwitches, injectedFailure } from '../memory/failures.js';
import type { RedisClient as Redis } from './client.js';
import { decodeSessionBody, encodeSessionBody } from './codec.js';
import type { RedisKeys } from './keys.js';
import { type ScriptCall, scriptCaller } from './scripts.js';

/** How long Redis keeps an expired record (and its queue) before deleting it itself. */
export const GC_GRACE_MS = 60_000;

export class RedisSessions implements SessionStore {
  readonly #claim: ScriptCall;
  readonly #save: ScriptCall;
  readonly #delete: ScriptCall;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly failures: FailureSwitches,
  ) {
    this.#claim = scriptCaller(redis, 'claim', true);
    this.#save = scriptCaller(redis, 'save');
    this.#delete = scriptCaller(redis, 'delete');
  }

  #clientKeys(clientId: string): string[] {
    return [this.keys.session(clientId), this.keys.generation(clientId), this.keys.queue(clientId)];
  }

  async claim(clientId: string, nodeId: string, nowMs: number): Promise<ClaimResult> {
    if (this.failures.sessions) throw injectedFailure('sessions.claim');
    const reply = (await this.#claim(this.#clientKeys(clientId), [nodeId, nowMs])) as [number, ...Buffer[]];
    const [generation, owner, previousGeneration, exp, body] = reply;
    if (owner === undefined) return { generation };
    return {
      generation,
      previous: toRecord(clientId, owner.toString(), Number(previousGeneration.toString()), exp, body),
    };
  }

  async load(clientId: string): Promise<SessionRecord | undefined> {
    if (this.failures.sessions) throw injectedFailure('sessions.load');
    const hash = await this.redis.hgetallBuffer(this.keys.session(clientId));
    if (hash.owner === undefined || hash.gen === undefined) return undefined;
    return toRecord(clientId, hash.owner.toString(), Number(hash.gen.toString()), hash.exp, hash.body);
  }

  async save(record: SessionRecord): Promise<boolean> {
    if (this.failures.sessions) throw injectedFailure('sessions.save');
    const body = encodeSessionBody({
      subscriptions: record.subscriptions,
      protocolState: record.protocolState,
      will: record.will,
      sessionExpiryMs: record.sessionExpiryMs,
    });
    const expiry = record.expiresAtMs === null ? '' : String(record.expiresAtMs);
    const args = [record.generation, record.ownerNode, expiry, body, GC_GRACE_MS];
    return (await this.#save(this.#clientKeys(record.clientId), args)) === 1;
  }

  async delete(clientId: string, generation: number): Promise<boolean> {
    if (this.failures.sessions) throw injectedFailure('sessions.delete');
    return (await this.#delete(this.#clientKeys(clientId), [generation])) === 1;
  }
}

function toRecord(
  clientId: string,
  ownerNode: string,
  generation: number,
  exp: Buffer | undefined,
  body: Buffer | undefined,
): SessionRecord {
  const { subscriptions, protocolState, will, sessionExpiryMs } = decodeSessionBody(body);
  const expiry = exp === undefined || exp.length === 0 ? null : Number(exp.toString());
  const record: SessionRecord = { clientId, ownerNode, generation, expiresAtMs: expiry, subscriptions };
  if (protocolState !== undefined) record.protocolState = protocolState;
  if (will !== undefined) record.will = will;
  if (sessionExpiryMs !== undefined) record.sessionExpiryMs = sessionExpiryMs;
  return record;
}
