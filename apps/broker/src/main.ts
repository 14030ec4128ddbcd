#!/usr/bin/env node
// The `edgemq` command: read the command line, load config, start one node, stop gracefully on
// SIGINT/SIGTERM. --help, --version and a bad argument are answered before anything loads
// the native uWebSockets.js addon or opens a port.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '@edgemq/config';
import { helpText, parseCliArgs } from './cli-args.js';

// src/main.ts and dist/main.js are both three levels below the repository root.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const requiredNodeMajor = 20;

function version(): string {
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
  return pkg.version;
}

async function main(): Promise<void> {
  const command = parseCliArgs(process.argv.slice(2));
  if (command.kind === 'help') {
    process.stdout.write(helpText(root));
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(`edgemq ${version()}\n`);
    return;
  }
  if (command.kind === 'error') {
    process.stderr.write(`edgemq: ${command.message}\nRun 'edgemq --help' for usage.\n`);
    process.exit(2);
  }

  // uWebSockets.js ships one binary per Node ABI; on another major it fails with an obscure error.
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== requiredNodeMajor) {
    process.stderr.write(
      `edgemq: needs Node.js ${requiredNodeMajor} (uWebSockets.js ships binaries per Node ABI); this is ${process.version}\n`,
    );
    process.exit(1);
  }

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ configFile: command.configFile });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`edgemq: invalid configuration\n${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const { startNode } = await import('./node.js');
  const node = await startNode(config);
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1); // a second signal means "now"
    node.logger.info({ signal }, 'shutting down');
    node.stop().then(
      () => process.exit(0),
      (error) => {
        node.logger.error({ err: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error) => {
  process.stderr.write(`edgemq: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
