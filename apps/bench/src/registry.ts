// Every scenario `bench <name>` can run, by name. Add new scenarios here.
import type { Scenario } from './scenario.js';
import { fanin, fanout } from './scenarios/fan.js';
import { idle } from './scenarios/idle.js';
import { indexSubs } from './scenarios/index-subs.js';
import { large, pairs, qos1 } from './scenarios/pairs.js';
import { subs } from './scenarios/subs.js';

const all: readonly Scenario[] = [pairs, fanout, fanin, qos1, large, idle, subs, indexSubs];

export const scenarios: ReadonlyMap<string, Scenario> = new Map(all.map((s) => [s.name, s]));
