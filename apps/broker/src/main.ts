#!/usr/bin/env node
// The `edgemq` command: load config, start one node, stop gracefully on SIGINT/SIGTERM.
import { ConfigError, loadConfig } from '@edgemq/config';
import { startNode } from './node.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`edgemq: invalid configuration\n${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
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
