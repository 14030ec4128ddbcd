// `node apps/chaos/dist/main.js [flags]` (`make chaos`): runs the chaos scenarios against
// a real three-node cluster and prints the table. Exit codes: 0 every scenario passed,
// 1 one failed (or the run itself did), 2 bad command line.
import { parseCommand, UsageError, usage } from './cli.js';
import { passed } from './report/results.js';
import { runSuite } from './suite.js';

async function main(argv: string[]): Promise<number> {
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${usage()}`);
    return 2;
  }
  if (command.kind === 'help') {
    console.log(command.text);
    return 0;
  }
  console.log(`chaos: seed ${command.params.seed}, scenarios ${command.scenarios.join(', ')}`);
  const results = await runSuite(command.scenarios, command.params);
  return results.every(passed) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // MQTT.js reconnect timers of clients that were already ended can linger: do not wait for them.
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
