// aedes under test: npm `aedes` with its in-memory persistence, in its own node process
// (peers/aedes-server.js), so its CPU and RSS are its own. The child listens on port 0 and
// reports its ports over IPC.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { captureOutput, type RunningBroker, stopChild } from './broker.js';

export async function start(): Promise<RunningBroker> {
  const aedesVersion = version();
  const child = fork(new URL('../peers/aedes-server.js', import.meta.url), [], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output = captureOutput(child);
  const ports = await new Promise<{ tcp: number; ws: number }>((resolve, reject) => {
    child.once('error', reject);
    const timer = setTimeout(() => reject(new Error(`aedes did not start in time\n${output()}`)), 15_000);
    child.once('message', (msg: { tcp: number; ws: number }) => {
      clearTimeout(timer);
      resolve(msg);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`aedes exited with ${code} before listening\n${output()}`));
    });
  }).catch(async (err: unknown) => {
    await stopChild(child);
    throw err;
  });
  return {
    name: 'aedes',
    version: aedesVersion,
    pid: child.pid!,
    ports,
    wsPath: '/mqtt',
    output,
    stop: () => stopChild(child),
  };
}

function version(): string {
  // aedes's `exports` hides package.json; find it next to the entry point.
  const entry = createRequire(import.meta.url).resolve('aedes');
  const pkgPath = path.join(path.dirname(entry), 'package.json');
  return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
}
