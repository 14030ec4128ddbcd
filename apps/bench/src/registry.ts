// Every scenario `bench <name>` can run, by name. Add new scenarios here.
import type { Scenario } from './scenario.js';
import { indexSubs } from './scenarios/index-subs.js';

const all: readonly Scenario[] = [indexSubs];

export const scenarios: ReadonlyMap<string, Scenario> = new Map(all.map((s) => [s.name, s]));
