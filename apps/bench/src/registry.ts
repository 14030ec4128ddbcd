// Every scenario `bench <name>` can run, by name. Add new scenarios here; `all` runs every
// one of them in this order.
import type { Scenario } from './scenario.js';
import { allScenario } from './scenarios/all.js';
import { cluster } from './scenarios/cluster.js';
import { fanin, fanout } from './scenarios/fan.js';
import { idle } from './scenarios/idle.js';
import { indexSubs } from './scenarios/index-subs.js';
import { large, pairs, qos1 } from './scenarios/pairs.js';
import { subs } from './scenarios/subs.js';

const list: readonly Scenario[] = [pairs, fanout, fanin, qos1, large, idle, subs, cluster, indexSubs];

export const all = allScenario(list);

export const scenarios: ReadonlyMap<string, Scenario> = new Map([...list, all].map((s) => [s.name, s]));
