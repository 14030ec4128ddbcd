// Eclipse Mosquitto under test: the Debian package's `mosquitto` binary (installed with
// apt-get when missing and the bench runs as root), a config file in a temp directory with
// one TCP and one WebSocket listener on free loopback ports (given the run's certificate,
// also a WebSocket-over-TLS and an MQTT-over-TLS listener with `certfile` / `keyfile`), no
// persistence, queues and in-flight limits raised so they do not cap the load, Nagle off
// (as in EdgeMQ). Started as a child process, stopped by pid.
//
// Started as root, mosquitto (2.0.11) switches to user `mosquitto` before it reads the
// certificate and key, so it gets a copy of both in its temp directory owned by that user
// (the run's key is root's alone), as a real deployment has them.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findOrInstall as findOrInstallPackage } from '../system/apt.js';
import {
  type BrokerTls,
  captureOutput,
  freePort,
  type RunningBroker,
  type StartOptions,
  stopChild,
  waitForPort,
} from './broker.js';

const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'];

export async function start(options: StartOptions = {}): Promise<RunningBroker> {
  const binary = findOrInstall();
  const mosquittoVersion = version(binary);
  const [tcp, ws] = [await freePort(), await freePort()];
  const tls = options.tls;
  const tlsPorts = tls === undefined ? undefined : { wss: await freePort(), mqtts: await freePort() };
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemq-bench-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  let files: { certFile: string; keyFile: string } | undefined;
  try {
    files = tls === undefined ? undefined : filesForMosquitto(tls, dir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
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
      ...(files === undefined || tlsPorts === undefined
        ? []
        : [
            `listener ${tlsPorts.wss} 127.0.0.1`,
            'protocol websockets',
            `certfile ${files.certFile}`,
            `keyfile ${files.keyFile}`,
            `listener ${tlsPorts.mqtts} 127.0.0.1`,
            'protocol mqtt',
            `certfile ${files.certFile}`,
            `keyfile ${files.keyFile}`,
          ]),
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(child);
  const cleanDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    await waitForPort(tcp, child);
    await waitForPort(ws, child);
    if (tlsPorts !== undefined) {
      await waitForPort(tlsPorts.wss, child);
      await waitForPort(tlsPorts.mqtts, child);
    }
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
    ports: { tcp, ws, ...tlsPorts },
    nodes: [{ tcp, ws, ...tlsPorts }],
    wsPath: '/mqtt',
    tls,
    output,
    stop: async () => {
      await stopChild(child);
      cleanDir();
    },
  };
}

/**
 * The certificate and key files mosquitto can read. As root it drops to user `mosquitto`
 * (its default `user`) before reading them: copies in `dir`, owned by that user, and `dir`
 * opened for it to pass through. Otherwise it runs as we do and reads the originals.
 */
function filesForMosquitto(tls: BrokerTls, dir: string): { certFile: string; keyFile: string } {
  if (process.getuid?.() !== 0) return { certFile: tls.certFile, keyFile: tls.keyFile };
  const id = (flag: string) => {
    try {
      return Number(execFileSync('id', [flag, 'mosquitto'], { encoding: 'utf8', stdio: 'pipe' }).trim());
    } catch {
      throw new Error('mosquitto: started as root it switches to user `mosquitto`, which does not exist');
    }
  };
  const [uid, gid] = [id('-u'), id('-g')];
  const files = { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') };
  copyFileSync(tls.certFile, files.certFile);
  copyFileSync(tls.keyFile, files.keyFile);
  chmodSync(files.keyFile, 0o600);
  chownSync(files.certFile, uid, gid);
  chownSync(files.keyFile, uid, gid);
  chmodSync(dir, 0o711);
  return files;
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
