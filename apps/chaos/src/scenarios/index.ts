// Every scenario the suite knows, in the order a run takes them. Each entry makes a fresh
// scenario (some keep state for the length of one run).
import type { ChaosScenario } from '../scenario.js';
import { killNode } from './kill-node.js';
import { reconnectStorm } from './reconnect-storm.js';
import { redisEmpty } from './redis-empty.js';
import { redisPause } from './redis-pause.js';
import { slowReader } from './slow-reader.js';
import { stuckClient } from './stuck-client.js';
import { termNode } from './term-node.js';

export const scenarioFactories: readonly (() => ChaosScenario)[] = [
  killNode,
  termNode,
  redisPause,
  redisEmpty,
  slowReader,
  stuckClient,
  reconnectStorm,
];

export const scenarioNames: readonly string[] = scenarioFactories.map((make) => make().name);

export function makeScenario(name: string): ChaosScenario | undefined {
  return scenarioFactories.map((make) => make()).find((s) => s.name === name);
}
