// aedes under test: npm `aedes` in its own node process (peers/aedes-server.js), so its CPU
// and RSS are its own. Alone: in-memory persistence and emitter. As a cluster node (given a
// Redis URL): `aedes-persistence-redis` and `mqemitter-redis` on that Redis, as aedes
// documents for clusters. Given the run's certificate (`--cert`, `--key`), also wss:// and
// mqtts://. The child listens on port 0 and reports its ports over IPC.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  type BrokerPorts,
  captureOutput,
  type RunningBroker,
  type StartOptions,
  stopChild,
} from './broker.js';

export async function start(options: StartOptions = {}): Promise<RunningBroker> {
  const aedesVersion =
    options.redisUrl === undefined
      ? version('aedes')
      : `${version('aedes')} (aedes-persistence-redis ${version('aedes-persistence-redis')}, mqemitter-redis ${version('mqemitter-redis')})`;
  const args = [
    ...(options.redisUrl === undefined ? [] : ['--redis', options.redisUrl]),
    ...(options.tls === undefined ? [] : ['--cert', options.tls.certFile, '--key', options.tls.keyFile]),
  ];
  const child = fork(new URL('../peers/aedes-server.js', import.meta.url), args, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output = captureOutput(child);
  const ports = await new Promise<BrokerPorts>((resolve, reject) => {
    child.once('error', reject);
    const timer = setTimeout(() => reject(new Error(`aedes did not start in time\n${output()}`)), 15_000);
    child.once('message', (msg: BrokerPorts) => {
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
    pids: [child.pid!],
    ports,
    nodes: [ports],
    wsPath: '/mqtt',
    tls: options.tls,
    output,
    stop: () => stopChild(child),
  };
}

function version(pkg: string): string {
  // aedes's `exports` hides package.json; find it next to the entry point.
  const entry = createRequire(import.meta.url).resolve(pkg);
  const pkgPath = path.join(path.dirname(entry), 'package.json');
  return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
}
