// Eclipse Mosquitto under test: the Debian package's `mosquitto` binary (installed with
// apt-get when missing and the bench runs as root), a config file in a temp directory with
// one TCP and one WebSocket listener on free loopback ports, no persistence, queues and
// in-flight limits raised so they do not cap the load, Nagle off (as in EdgeMQ). Started as
// a child process, stopped by pid.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findOrInstall as findOrInstallPackage } from '../system/apt.js';
import {
  captureOutput,
  freePort,
  type RunningBroker,
  type StartOptions,
  stopChild,
  waitForPort,
} from './broker.js';

const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'];

export async function start(_options: StartOptions = {}): Promise<RunningBroker> {
  const binary = findOrInstall();
  const mosquittoVersion = version(binary);
  const [tcp, ws] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemq-bench-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      '# written by apps/bench for one run',
      'per_listener_settings false',
      'allow_anonymous true',
      'persistence false',
      'set_tcp_nodelay true',
      'max_queued_messages 1000000',
      'max_queued_bytes 0',
      'max_inflight_messages 100',
      'max_connections -1',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'websockets_log_level 0',
      `listener ${tcp} 127.0.0.1`,
      'protocol mqtt',
      `listener ${ws} 127.0.0.1`,
      'protocol websockets',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(child);
  const cleanDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    await waitForPort(tcp, child);
    await waitForPort(ws, child);
  } catch (err) {
    await stopChild(child);
    cleanDir();
    throw new Error(`mosquitto: ${(err as Error).message}\n${output()}`);
  }
  return {
    name: 'mosquitto',
    version: mosquittoVersion,
    pid: child.pid!,
    pids: [child.pid!],
    ports: { tcp, ws },
    nodes: [{ tcp, ws }],
    wsPath: '/mqtt',
    output,
    stop: async () => {
      await stopChild(child);
      cleanDir();
    },
  };
}

function findOrInstall(): string {
  try {
    return findOrInstallPackage('mosquitto', 'mosquitto', CANDIDATES);
  } catch (err) {
    throw new Error(`${(err as Error).message} (or leave mosquitto out of --brokers)`);
  }
}

function version(binary: string): string {
  // `mosquitto -h` prints "mosquitto version 2.0.11" and exits non-zero.
  try {
    execFileSync(binary, ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const text = String((err as { stdout?: string }).stdout ?? '');
    const m = /version (\S+)/.exec(text);
    if (m) return m[1];
  }
  return 'unknown';
}
