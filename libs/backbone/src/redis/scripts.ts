// The Lua scripts (lua/<name>-<numKeys>.lua, each opening with its KEYS/ARGV/returns) are
// registered on a connection with ioredis' defineCommand as `emq<Name>`, so they run by
// EVALSHA and are re-sent by EVAL after a Redis restart (NOSCRIPT).
//
// The .lua files are read at run time from `./lua/` next to this module and nowhere else:
// src/redis/lua in tests, dist/redis/lua when built (scripts/copy-assets.mjs puts them there
// after tsc), so a built tree runs with no src beside it.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RedisClient as Redis } from './client.js';

/** Every script the backbone calls; loading fails if one is missing from the directory. */
export const scriptNames = ['generation', 'claim', 'save', 'delete', 'disown', 'push', 'claimdead'] as const;
export type ScriptName = (typeof scriptNames)[number];

interface Script {
  command: string;
  numberOfKeys: number;
  lua: string;
}

let loaded: Map<string, Script> | undefined;

const luaDirectory = new URL('./lua/', import.meta.url);

function scripts(): Map<string, Script> {
  if (loaded !== undefined) return loaded;
  const where = fileURLToPath(luaDirectory);
  if (!existsSync(luaDirectory)) {
    throw new Error(
      `Lua scripts directory ${where} is missing (a built tree gets it from scripts/copy-assets.mjs: run \`make build\`)`,
    );
  }
  const found = new Map<string, Script>();
  for (const file of readdirSync(luaDirectory)) {
    const match = /^([a-z][a-z0-9]*)-(\d+)\.lua$/.exec(file);
    if (match === null) continue;
    const [, name, keys] = match;
    // Two files for one script (claim-2.lua beside a stale claim-3.lua) would make the one
    // that runs depend on directory order.
    if (found.has(name)) throw new Error(`Lua scripts directory ${where} holds two files for ${name}`);
    found.set(name, {
      command: `emq${name[0].toUpperCase()}${name.slice(1)}`,
      numberOfKeys: Number(keys),
      lua: readFileSync(new URL(file, luaDirectory), 'utf8'),
    });
  }
  const missing = scriptNames.filter((name) => !found.has(name));
  if (missing.length > 0) {
    throw new Error(
      `Lua scripts directory ${where} lacks ${missing.map((n) => `${n}-<keys>.lua`).join(', ')}`,
    );
  }
  loaded = found;
  return found;
}

/** The scripts found in `./lua/`, by name, with their key counts (read from disk on first use). */
export function loadedScripts(): { name: string; numberOfKeys: number }[] {
  return [...scripts()].map(([name, script]) => ({ name, numberOfKeys: script.numberOfKeys }));
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
