// EdgeMQ under test: `bin/edgemq` from this tree (built), log level warn, on free loopback
// ports; embedded mode (no Redis), or a cluster node when given a Redis URL
// (EDGEMQ_REDIS_URL, EDGEMQ_NODE_ID bench-node-<n>). Given the run's certificate, also its
// TLS listeners: EDGEMQ_TLS_CERT_FILE / _KEY_FILE, wss:// on EDGEMQ_TLS_WSS_PORT and mqtts://
// on EDGEMQ_TLS_MQTTS_PORT. `bin/edgemq` execs node, so the child pid is the broker.
//
// Not testkit's spawnNode: it learns the ports from the info-level "listening" log line,
// which log level warn hides. Here the ports are chosen first and readiness is /readyz.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  captureOutput,
  freePort,
  type RunningBroker,
  type StartOptions,
  stopChild,
  waitForPort,
} from './broker.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

export async function start(options: StartOptions = {}): Promise<RunningBroker> {
  if (!existsSync(`${repoRoot}apps/broker/dist/main.js`)) {
    throw new Error('edgemq is not built: run `npx tsc -b` (or `make build`) first');
  }
  const edgemqVersion = version();
  const [ws, tcp] = [await freePort(), await freePort()];
  const tls = options.tls;
  const tlsPorts = tls === undefined ? undefined : { wss: await freePort(), mqtts: await freePort() };
  const child = spawn(`${repoRoot}bin/edgemq`, [], {
    env: {
      ...process.env,
      EDGEMQ_HOST: '127.0.0.1',
      EDGEMQ_HTTP_PORT: String(ws),
      EDGEMQ_MQTT_PORT: String(tcp),
      EDGEMQ_LOG_LEVEL: 'warn',
      ...(options.redisUrl === undefined
        ? {}
        : { EDGEMQ_REDIS_URL: options.redisUrl, EDGEMQ_NODE_ID: `bench-node-${options.node ?? 1}` }),
      ...(tls === undefined || tlsPorts === undefined
        ? {}
        : {
            EDGEMQ_TLS_CERT_FILE: tls.certFile,
            EDGEMQ_TLS_KEY_FILE: tls.keyFile,
            EDGEMQ_TLS_WSS_PORT: String(tlsPorts.wss),
            EDGEMQ_TLS_MQTTS_PORT: String(tlsPorts.mqtts),
          }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  try {
    await waitForPort(tcp, child);
    await waitForPort(ws, child);
    if (tlsPorts !== undefined) {
      await waitForPort(tlsPorts.wss, child);
      await waitForPort(tlsPorts.mqtts, child);
    }
    await waitReady(ws);
  } catch (err) {
    await stopChild(child);
    throw new Error(`edgemq: ${(err as Error).message}\n${output()}`);
  }
  return {
    name: 'edgemq',
    version: edgemqVersion,
    pid: child.pid!,
    pids: [child.pid!],
    ports: { tcp, ws, ...tlsPorts },
    nodes: [{ tcp, ws, ...tlsPorts }],
    wsPath: '/mqtt',
    tls,
    output,
    stop: () => stopChild(child, 10_000),
  };
}

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    if (res?.ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('/readyz never answered 200');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(`${repoRoot}apps/broker/package.json`, 'utf8')) as { version: string };
  try {
    const commit = execFileSync('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['-C', repoRoot, 'status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return `${pkg.version} (${commit}${dirty ? ', modified' : ''})`;
  } catch {
    return pkg.version;
  }
}
