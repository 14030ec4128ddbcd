// Starts `bin/edgemq` as a real process on free ports and stops it by pid: for tests of
// start-up, signals and several nodes side by side.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface SpawnedNode {
  readonly process: ChildProcess;
  /** Bound ports; wss and mqtts only when the node has TLS listeners. */
  readonly ports: NodePorts;
  readonly output: () => string;
  /** SIGTERM, then the exit code (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  args?: string[];
  timeoutMs?: number;
}

export interface NodePorts {
  http: number;
  mqtt: number;
  wss?: number;
  mqtts?: number;
}

/** Spawns a node; resolves once it logs its bound ports. Ports default to 0 (any free). */
export async function spawnNode(options: SpawnOptions = {}): Promise<SpawnedNode> {
  const child = spawn(`${repoRoot}bin/edgemq`, options.args ?? [], {
    env: {
      ...process.env,
      EDGEMQ_HOST: '127.0.0.1',
      EDGEMQ_HTTP_PORT: '0',
      EDGEMQ_MQTT_PORT: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = await new Promise<NodePorts>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node did not start in time:\n${output}`));
    }, options.timeoutMs ?? 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"ports":(\{[^}]*\})/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(JSON.parse(match[1]) as NodePorts);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before listening:\n${output}`));
    });
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { process: child, ports, output: () => output, stop };
}

/** Runs bin/edgemq expecting it to fail at start-up; returns exit code and output. */
export async function runNodeExpectingFailure(
  options: SpawnOptions = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(`${repoRoot}bin/edgemq`, options.args ?? [], {
    env: { ...process.env, EDGEMQ_HTTP_PORT: '0', EDGEMQ_MQTT_PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}
