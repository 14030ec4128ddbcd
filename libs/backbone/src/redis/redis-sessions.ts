// Session records: one Redis hash per client id (`{c:<id>}:session`: owner, gen, exp and a
// msgpack body with subscriptions and protocol state). claim/save/delete are Lua scripts,
// so each is atomic; see lua/*.lua.
//
// Fencing without a key per client: every claim draws its generation from one
// cluster-wide counter (lua/generation-1.lua), so no two claims of any client ever share a
// generation, and save/delete succeed only for the holder of the record's current one.
// A stale owner's generation therefore matches neither a newer record nor, once the
// session ended and its keys were deleted, anything at all: a deleted session cannot be
// written back. (A per-client generation key would have to outlive the record to give
// the same guarantee, one key per client id ever seen.)
//
// A record with an expiry is deleted by Redis (PEXPIREAT) GC_GRACE_MS after it; until
// then it is discarded logically, by the next claim whose `nowMs` has passed it.
// The node that holds a session is listed in its owned hash (owned-sessions.ts); a claim
// takes the client off the previous owner's, a delete off the deleted record's owner's.

import type { ClaimResult, SessionRecord, SessionStore } from '../backbone.js';
import { type FailureSwitches, injectedFailure } from '../memory/failures.js';
import type { RedisClient as Redis } from './client.js';
import { decodeSessionBody, encodeSessionBody } from './codec.js';
import { removalTime } from './key-lifetime.js';
import type { RedisKeys } from './keys.js';
import type { OwnedSessions } from './owned-sessions.js';
import { type ScriptCall, scriptCaller } from './scripts.js';

export { GC_GRACE_MS } from './key-lifetime.js';

/**
 * A claim is retried when one with a later generation got to the record first. Each retry
 * draws a newer generation, so it takes as many retries as claims that overtook it.
 */
const MAX_CLAIM_ATTEMPTS = 100;

export class RedisSessions implements SessionStore {
  readonly #generation: ScriptCall;
  readonly #claim: ScriptCall;
  readonly #save: ScriptCall;
  readonly #delete: ScriptCall;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly failures: FailureSwitches,
    private readonly ownedSessions: OwnedSessions,
  ) {
    this.#generation = scriptCaller(redis, 'generation');
    this.#claim = scriptCaller(redis, 'claim', true);
    this.#save = scriptCaller(redis, 'save');
    this.#delete = scriptCaller(redis, 'delete');
  }

  #clientKeys(clientId: string): string[] {
    return [this.keys.session(clientId), this.keys.queue(clientId)];
  }

  async claim(clientId: string, nodeId: string, nowMs: number): Promise<ClaimResult> {
    if (this.failures.sessions) throw injectedFailure('sessions.claim');
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const generation = Number(await this.#generation([this.keys.generations()], []));
      const reply = (await this.#claim(this.#clientKeys(clientId), [nodeId, nowMs, generation])) as
        | 0
        | [Buffer, Buffer, Buffer, number, Buffer, Buffer];
      if (reply === 0) continue;
      const [, found, foundGeneration, live, exp, body] = reply;
      // The client left the list of the node that held it, whether its record lived or expired.
      const foundOwner = found.toString();
      if (foundOwner !== '' && foundOwner !== nodeId) {
        await this.ownedSessions.disown(foundOwner, clientId, foundGeneration.toString());
      }
      if (Number(live) !== 1) return { generation };
      return {
        generation,
        previous: toRecord(clientId, foundOwner, Number(foundGeneration.toString()), exp, body),
      };
    }
    throw new Error(`sessions.claim ${clientId}: overtaken by other claims ${MAX_CLAIM_ATTEMPTS} times`);
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
    const args = [record.generation, record.ownerNode, expiry, body, removalTime(record.expiresAtMs)];
    return (await this.#save(this.#clientKeys(record.clientId), args)) === 1;
  }

  async delete(clientId: string, generation: number): Promise<boolean> {
    if (this.failures.sessions) throw injectedFailure('sessions.delete');
    const owner = (await this.#delete(this.#clientKeys(clientId), [generation])) as string | 0;
    if (owner === 0) return false;
    await this.ownedSessions.disown(owner, clientId, generation);
    return true;
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
