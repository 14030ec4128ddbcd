// Runs the chosen scenarios one after the other and prints each row as it comes (a long
// run shows progress), then the whole table and its details.
import type { ChaosParams } from './params.js';
import { passed, resultDetails, resultTable } from './report/results.js';
import { runScenario, type ScenarioResult } from './runner.js';
import { makeScenario } from './scenarios/index.js';

export async function runSuite(
  names: readonly string[],
  params: ChaosParams,
  log: (line: string) => void = console.log,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const name of names) {
    const scenario = makeScenario(name);
    if (scenario === undefined) throw new Error(`unknown scenario ${JSON.stringify(name)}`);
    const started = Date.now();
    log(`chaos: ${name}: ${scenario.description}`);
    const result = await runScenario(scenario, params);
    results.push(result);
    log(
      `chaos: ${name}: ${passed(result) ? 'pass' : 'FAIL'} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  log('');
  log(resultTable(results));
  const details = resultDetails(results);
  if (details !== '') log(`\n${details}`);
  return results;
}
