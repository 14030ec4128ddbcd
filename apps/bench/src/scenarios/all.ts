// all: every scenario one after the other, each with its own defaults (what `make bench`
// and `bench` without arguments run, unattended). The common flags, when given, go to every
// scenario that takes them; `--brokers` is narrowed to the brokers each scenario can run
// (cluster: edgemq and aedes). A scenario that fails is reported and the next one runs;
// the exit code is 1 if any failed.
import { type Scenario, type ScenarioArgs, UsageError } from '../scenario.js';

const PASSED_ON = ['brokers', 'transport', 'seconds', 'warmup', 'workers', 'runs', 'out', 'no-save'] as const;

export function allScenario(list: readonly Scenario[]): Scenario {
  const names = list.map((s) => s.name);
  return {
    name: 'all',
    description: `every scenario in turn with its defaults (${names.join(', ')}); what \`make bench\` runs`,
    flags: {
      only: {
        type: 'string',
        description: `comma-separated scenarios to run (default all: ${names.join(',')})`,
      },
      skip: { type: 'string', description: 'comma-separated scenarios to leave out' },
      brokers: {
        type: 'string',
        description: 'brokers, narrowed per scenario (default: each scenario’s own)',
      },
      transport: { type: 'string', description: 'transports (default: each scenario’s own)' },
      seconds: { type: 'string', description: 'measured seconds per run (default: each scenario’s own)' },
      warmup: { type: 'string', description: 'warm-up seconds (default: each scenario’s own)' },
      workers: { type: 'string', description: 'load-generator processes (default: each scenario’s own)' },
      runs: { type: 'string', description: 'runs per cell, medians reported (default: each scenario’s own)' },
      out: { type: 'string', description: 'directory for the records (default bench/results)' },
      'no-save': { type: 'boolean', description: 'print only: write no files' },
    },
    async run(args: ScenarioArgs) {
      const pick = (flag: string): string[] | undefined => {
        const raw = args.flags[flag];
        if (typeof raw !== 'string') return undefined;
        const parts = raw.split(',').map((p) => p.trim());
        const bad = parts.filter((p) => !names.includes(p));
        if (bad.length > 0) throw new UsageError(`--${flag}: unknown scenario(s) ${bad.join(', ')}`);
        return parts;
      };
      const only = pick('only') ?? names;
      const skip = pick('skip') ?? [];
      const chosen = list.filter((s) => only.includes(s.name) && !skip.includes(s.name));
      const outcome: string[] = [];
      let failed = 0;
      const t0 = performance.now();
      for (const [i, scenario] of chosen.entries()) {
        const flags: Record<string, string | boolean | undefined> = {};
        for (const [name, flag] of Object.entries(scenario.flags)) flags[name] = flag.default;
        let skipped: string | undefined;
        for (const name of PASSED_ON) {
          const given = args.flags[name];
          if (given === undefined || !(name in scenario.flags)) continue;
          if (name === 'brokers' && scenario.brokers !== undefined) {
            const mine = String(given)
              .split(',')
              .map((b) => b.trim())
              .filter((b) => scenario.brokers!.includes(b));
            if (mine.length === 0) skipped = `none of --brokers ${given} runs ${scenario.name}`;
            flags.brokers = mine.join(',');
          } else {
            flags[name] = given;
          }
        }
        const head = `bench all: [${i + 1}/${chosen.length}] ${scenario.name}`;
        if (skipped !== undefined) {
          console.log(`\n${head}: skipped (${skipped})`);
          outcome.push(`${scenario.name}: skipped (${skipped})`);
          continue;
        }
        console.log(`\n${'='.repeat(80)}\n${head}\n${'='.repeat(80)}`);
        const started = performance.now();
        try {
          await scenario.run({ flags });
          outcome.push(`${scenario.name}: done in ${minutes(performance.now() - started)}`);
        } catch (err) {
          failed++;
          const message = (err as Error).message.split('\n')[0];
          console.error(`${head} FAILED: ${(err as Error).message}`);
          outcome.push(`${scenario.name}: FAILED after ${minutes(performance.now() - started)}: ${message}`);
        }
      }
      console.log(`\nbench all: ${chosen.length} scenario(s) in ${minutes(performance.now() - t0)}`);
      for (const line of outcome) console.log(`- ${line}`);
      if (failed > 0) throw new Error(`bench all: ${failed} scenario(s) failed`);
    },
  };
}

const minutes = (ms: number): string =>
  ms < 60_000
    ? `${(ms / 1000).toFixed(0)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
