// The chaos suite in its short form: every scenario against a real three-node cluster
// (bin/edgemq processes on one local Redis; run `make build` first), each asserting that
// no acknowledged QoS 1/2 message was lost — except "Redis restarted empty", where loss
// is expected and the assertion is that the nodes reported it (a log line or a counter).
// The whole file stays under two minutes on two cores.
//
// kill-node runs in `make chaos` only, until it passes: it still loses (a) shared-group
// messages sent in the ~1 s during which the nodes' group views disagree after a kill -9
// and (b) QoS 2 messages published while a killed node's persistent subscriber had no
// owner (replay leaves QoS 2 out). docs/chaos.md keeps the figures.
import { afterAll, describe, expect, it } from 'vitest';
import { shortParams } from '../src/params.js';
import { resultDetails, resultTable } from '../src/report/results.js';
import { runScenario, type ScenarioResult } from '../src/runner.js';
import { makeScenario, scenarioNames } from '../src/scenarios/index.js';

const KNOWN_LOSSY = new Set(['kill-node']);
const results: ScenarioResult[] = [];

afterAll(() => {
  if (results.length > 0) console.log(`${resultTable(results)}\n${resultDetails(results)}`);
});

describe('chaos (short form)', () => {
  it.each(scenarioNames.filter((name) => !KNOWN_LOSSY.has(name)))(
    '%s',
    async (name) => {
      const scenario = makeScenario(name)!;
      const result = await runScenario(scenario, shortParams);
      results.push(result);
      const details = resultDetails([result]);
      if (scenario.lossExpected) {
        expect(result.lossReports, `the nodes must report what they lost\n${details}`).not.toEqual([]);
      } else {
        expect(result.tally.lost, `acknowledged QoS 1/2 messages lost\n${details}`).toBe(0);
      }
      expect(result.failures, details).toEqual([]);
    },
    60_000,
  );
});
