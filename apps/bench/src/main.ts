// The bench CLI: `node apps/bench/dist/main.js <scenario> [--flags]` (`npm run bench -- ...`).
// Looks the scenario up in the registry, parses its declared flags strictly, and runs it.
// Without a scenario (`make bench`) it runs `all`: every scenario with its defaults.
// Exit codes: 0 done, 1 the scenario failed, 2 bad command line.
import { parseArgs } from 'node:util';
import { scenarios } from './registry.js';
import { type Scenario, type ScenarioArgs, UsageError } from './scenario.js';

function usage(): string {
  const width = Math.max(...[...scenarios.keys()].map((n) => n.length));
  const list = [...scenarios.values()].map((s) => `  ${s.name.padEnd(width)}  ${s.description}`);
  return [
    'usage: bench <scenario> [--flags]   (bench <scenario> --help for its flags)',
    '       bench                        (no scenario: `all`, every scenario with its defaults)',
    '',
    'scenarios:',
    ...list,
  ].join('\n');
}

function scenarioUsage(scenario: Scenario): string {
  const flags = Object.entries(scenario.flags).map(([name, flag]) => {
    const arg = flag.type === 'string' ? `--${name} <value>` : `--${name}`;
    const def = flag.default === undefined ? '' : ` (default ${flag.default})`;
    return `  ${arg.padEnd(28)} ${flag.description}${def}`;
  });
  return [`usage: bench ${scenario.name} [--flags]`, '', scenario.description, '', 'flags:', ...flags].join(
    '\n',
  );
}

function parseScenarioArgs(scenario: Scenario, argv: string[]): ScenarioArgs | 'help' {
  const options = Object.fromEntries(
    Object.entries(scenario.flags).map(([name, f]) => [
      name,
      f.default === undefined ? { type: f.type } : { type: f.type, default: f.default },
    ]),
  ) as Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help === true) return 'help';
    return { flags: values as Record<string, string | boolean | undefined> };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  const [given, ...rest] = argv;
  if (given === '--help' || given === '-h' || given === 'help') {
    console.log(usage());
    return 0;
  }
  const name = given ?? 'all';
  if (given === undefined) {
    console.log(
      'bench: no scenario given, running all of them with their defaults (`bench --help` lists them)',
    );
  }
  const scenario = scenarios.get(name);
  if (scenario === undefined) {
    console.error(`unknown scenario ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  try {
    const args = parseScenarioArgs(scenario, rest);
    if (args === 'help') {
      console.log(scenarioUsage(scenario));
      return 0;
    }
    await scenario.run(args);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${scenarioUsage(scenario)}`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
