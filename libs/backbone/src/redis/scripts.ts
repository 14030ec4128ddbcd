// The Lua scripts (lua/<name>-<numKeys>.lua, each opening with its KEYS/ARGV/returns) are
// registered on a connection with ioredis' defineCommand as `emq<Name>`, so they run by
// EVALSHA and are re-sent by EVAL after a Redis restart (NOSCRIPT).
//
// The .lua files are read at run time next to this module: `./lua/` when running from
// src (tests), and `../../src/redis/lua/` when running from dist (tsc does not copy them).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { RedisClient as Redis } from './client.js';

export type ScriptName = 'claim' | 'save' | 'delete' | 'push' | 'claimdead';

interface Script {
  command: string;
  numberOfKeys: number;
  lua: string;
}

let loaded: Map<string, Script> | undefined;

function luaDirectory(): URL {
  const candidates = [new URL('./lua/', import.meta.url), new URL('../../src/redis/lua/', import.meta.url)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new Error(`Lua scripts not found in ${candidates.map((c) => c.pathname).join(' or ')}`);
  }
  return found;
}

function scripts(): Map<string, Script> {
  if (loaded !== undefined) return loaded;
  const directory = luaDirectory();
  const found = new Map<string, Script>();
  for (const file of readdirSync(directory)) {
    const match = /^([a-z][a-z0-9]*)-(\d+)\.lua$/.exec(file);
    if (match === null) continue;
    const [, name, keys] = match;
    found.set(name, {
      command: `emq${name[0].toUpperCase()}${name.slice(1)}`,
      numberOfKeys: Number(keys),
      lua: readFileSync(new URL(file, directory), 'utf8'),
    });
  }
  loaded = found;
  return found;
}

/** Registers every script on `redis`. */
export function defineScripts(redis: Redis): void {
  for (const script of scripts().values()) {
    redis.defineCommand(script.command, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
}

type ScriptArg = string | Buffer | number;
export type ScriptCall = (keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;

/**
 * A caller for script `name` on `redis` (which defineScripts has seen). With `buffers`,
 * bulk replies come back as Buffers.
 */
export function scriptCaller(redis: Redis, name: ScriptName, buffers = false): ScriptCall {
  const script = scripts().get(name);
  if (script === undefined) throw new Error(`no Lua script named ${name}`);
  const method = buffers ? `${script.command}Buffer` : script.command;
  return (keys, args) => {
    if (keys.length !== script.numberOfKeys) {
      throw new Error(`${name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
    }
    const fn = (redis as unknown as Record<string, (...a: ScriptArg[]) => Promise<unknown>>)[method];
    return fn.call(redis, ...keys, ...args);
  };
}
