// The `edgemq` command as a real process (needs the built tree: `npx tsc -b`): the endpoints it
// prints, graceful shutdown on SIGTERM/SIGINT, configuration from file and environment with
// exit code 2 on bad config, and `localhost` meaning both loopback addresses.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectClient,
  repoRoot,
  runNodeExpectingFailure,
  type SpawnedNode,
  spawnNode,
  waitFor,
} from '@edgemq/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';

const running: SpawnedNode[] = [];
const bare: ChildProcess[] = [];
const tempDirs: string[] = [];
const heldServers: net.Server[] = [];

beforeAll(() => {
  if (!existsSync(`${repoRoot}apps/broker/dist/main.js`)) {
    throw new Error('apps/broker/dist/main.js is missing: run `npx tsc -b` before these tests');
  }
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop('SIGKILL', 2000)));
  for (const child of bare.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const server of heldServers.splice(0)) server.close();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof spawnNode>[0] = {}): Promise<SpawnedNode> {
  const node = await spawnNode(options);
  running.push(node);
  return node;
}

function configFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgemq-config-'));
  tempDirs.push(dir);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Listens on a free port of `host` and keeps it (so nobody else can bind it). */
async function holdPort(host = '127.0.0.1'): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve());
  });
  heldServers.push(server);
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const { server, port } = await holdPort();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  heldServers.splice(heldServers.indexOf(server), 1);
  return port;
}

async function canListenOn(host: string): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, host, () => server.close(() => resolve(true)));
  });
}

const hasIpv6Loopback = await canListenOn('::1');
if (!hasIpv6Loopback) {
  console.warn(
    'process.test.ts: ::1 is not configured on this machine; skipping the IPv6 half of the localhost test',
  );
}

interface Health {
  status: string;
  ports: { http: number; mqtt: number };
}

async function healthz(port: number, host = '127.0.0.1'): Promise<Health> {
  const res = await fetch(`http://${host}:${port}/healthz`);
  expect(res.status).toBe(200);
  return (await res.json()) as Health;
}

describe('a running node', () => {
  let node: SpawnedNode;
  beforeAll(async () => {
    node = await spawnNode();
  });
  afterAll(() => node?.stop());

  it('prints its endpoints: ws://127.0.0.1:<port>/mqtt and mqtt://127.0.0.1:<port>', () => {
    const out = node.output();
    expect(out).toContain(`ws://127.0.0.1:${node.ports.http}/mqtt`);
    expect(out).toContain(`mqtt://127.0.0.1:${node.ports.mqtt}`);
  });

  it('GET /healthz reports the ports the log line printed', async () => {
    const body = await healthz(node.ports.http);
    expect(body.status).toBe('ok');
    expect(body.ports).toEqual(node.ports);
  });

  it('serves MQTT on both printed endpoints', async () => {
    const tcp = await connectClient(`mqtt://127.0.0.1:${node.ports.mqtt}`, { clientId: 'printed-tcp' });
    const ws = await connectClient(`ws://127.0.0.1:${node.ports.http}/mqtt`, { clientId: 'printed-ws' });
    await tcp.client.subscribeAsync('printed/t', { qos: 1 });
    await ws.client.publishAsync('printed/t', 'across transports', { qos: 1 });
    const [message] = await tcp.take();
    expect(message.payload.toString()).toBe('across transports');
    await Promise.all([tcp.end(), ws.end()]);
  });
});

describe('shutdown', () => {
  it('SIGTERM: exits 0 and connected MQTT.js clients (TCP and WebSocket) see their connection closed', async () => {
    const node = await start();
    const tcp = await connectClient(`mqtt://127.0.0.1:${node.ports.mqtt}`, { clientId: 'term-tcp' });
    const ws = await connectClient(`ws://127.0.0.1:${node.ports.http}/mqtt`, { clientId: 'term-ws' });
    try {
      let tcpClosed = false;
      let wsClosed = false;
      tcp.client.on('close', () => {
        tcpClosed = true;
      });
      ws.client.on('close', () => {
        wsClosed = true;
      });
      const started = Date.now();
      expect(await node.stop('SIGTERM')).toBe(0);
      // Graceful, but not stalled on the clients until the shutdown timeout (5 s).
      expect(Date.now() - started).toBeLessThan(4000);
      await waitFor(() => tcpClosed && wsClosed, 3000, 'both clients to see the close');
      expect(node.output()).toMatch(/shutting down/);
    } finally {
      await Promise.all([tcp.end(true), ws.end(true)]);
    }
  });

  it('SIGTERM: an MQTT 5 client gets DISCONNECT 0x8B (server shutting down)', async () => {
    const node = await start();
    const v5 = await connectClient(`mqtt://127.0.0.1:${node.ports.mqtt}`, {
      clientId: 'term-v5',
      protocolVersion: 5,
    });
    try {
      let reasonCode: number | undefined;
      v5.client.on('disconnect', (packet) => {
        reasonCode = packet.reasonCode;
      });
      expect(await node.stop('SIGTERM')).toBe(0);
      await waitFor(() => reasonCode !== undefined, 3000, 'DISCONNECT from the server');
      expect(reasonCode).toBe(0x8b);
    } finally {
      await v5.end(true);
    }
  });

  it('SIGINT: exits 0', async () => {
    const node = await start();
    const client = await connectClient(`mqtt://127.0.0.1:${node.ports.mqtt}`, { clientId: 'int-tcp' });
    try {
      expect(await node.stop('SIGINT')).toBe(0);
    } finally {
      await client.end(true);
    }
  });
});

describe('configuration', () => {
  it('EDGEMQ_HTTP_PORT=abc: exit 2 naming the variable, the key and the expected type', async () => {
    const { code, output } = await runNodeExpectingFailure({ env: { EDGEMQ_HTTP_PORT: 'abc' } });
    expect(code).toBe(2);
    expect(output).toContain('EDGEMQ_HTTP_PORT');
    expect(output).toContain('http.port');
    expect(output).toMatch(/expected integer/);
    expect(output).toContain('"abc"');
  });

  it.each([
    { key: 'colour', yaml: 'logLevel: info\ncolour: blue\n' },
    { key: 'http.prot', yaml: 'http:\n  port: 0\n  prot: 8083\n' },
  ])('unknown key `$key` in a --config YAML file: exit 2 naming the key', async ({ key, yaml }) => {
    const file = configFile('edgemq.yaml', yaml);
    const { code, output } = await runNodeExpectingFailure({ args: ['--config', file] });
    expect(code).toBe(2);
    expect(output).toMatch(/unknown key/);
    expect(output).toContain(`"${key}"`);
  });

  it('a valid YAML file sets logLevel and ports', async () => {
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    const file = configFile(
      'edgemq.yml',
      `# test config\nlogLevel: warn\nhttp:\n  port: ${httpPort}\nmqtt:\n  port: ${mqttPort}\n`,
    );
    // Empty variables count as unset, so the file's ports apply.
    const child = spawn(`${repoRoot}bin/edgemq`, ['--config', file], {
      env: { ...process.env, EDGEMQ_HOST: '127.0.0.1', EDGEMQ_HTTP_PORT: '', EDGEMQ_MQTT_PORT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    bare.push(child);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));

    let body: Health | undefined;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`node exited with ${child.exitCode}:\n${output}`);
        body = await healthz(httpPort).catch(() => undefined);
        return body !== undefined;
      },
      10_000,
      `the node on http port ${httpPort}`,
    );
    expect(body!.ports).toEqual({ http: httpPort, mqtt: mqttPort });
    const client = await connectClient(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'from-file' });
    await client.end();

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // logLevel: warn: the info lines (listening, shutting down) are not written.
    expect(output).not.toContain('EdgeMQ listening');
    expect(output).not.toMatch(/"level":30\b/);
  });

  it('the environment overrides the file (file http.port X, EDGEMQ_HTTP_PORT=0: a free port, not X)', async () => {
    const held = await holdPort(); // X stays taken: binding it would fail
    const mqttPort = await freePort();
    const file = configFile('edgemq.yaml', `http:\n  port: ${held.port}\nmqtt:\n  port: ${mqttPort}\n`);
    const node = await start({
      args: ['--config', file],
      env: { EDGEMQ_HTTP_PORT: '0', EDGEMQ_MQTT_PORT: '' },
    });
    expect(node.ports.http).not.toBe(held.port);
    expect(node.ports.http).toBeGreaterThan(0);
    // The keys the environment does not set still come from the file.
    expect(node.ports.mqtt).toBe(mqttPort);
    expect((await healthz(node.ports.http)).ports).toEqual(node.ports);
  });
});

describe('EDGEMQ_HOST=localhost: IPv4 and IPv6 loopback', () => {
  let node: SpawnedNode;
  beforeAll(async () => {
    node = await spawnNode({ env: { EDGEMQ_HOST: 'localhost' } });
  });
  afterAll(() => node?.stop());

  it('accepts MQTT over TCP and WebSocket on 127.0.0.1', async () => {
    const tcp = await connectClient(`mqtt://127.0.0.1:${node.ports.mqtt}`, { clientId: 'lo4-tcp' });
    const ws = await connectClient(`ws://127.0.0.1:${node.ports.http}/mqtt`, { clientId: 'lo4-ws' });
    await tcp.client.subscribeAsync('lo/v4', { qos: 1 });
    await ws.client.publishAsync('lo/v4', 'v4', { qos: 1 });
    expect((await tcp.take())[0].payload.toString()).toBe('v4');
    await Promise.all([tcp.end(), ws.end()]);
  });

  it.skipIf(!hasIpv6Loopback)(
    'accepts MQTT over TCP and WebSocket on ::1 (skipped when ::1 is not configured)',
    async () => {
      const tcp = await connectClient(`mqtt://[::1]:${node.ports.mqtt}`, { clientId: 'lo6-tcp' });
      // MQTT.js loses the brackets of an IPv6 ws:// host, so the WebSocket side is the raw client.
      const ws = await RawClient.openUrl(`ws://[::1]:${node.ports.http}/mqtt`);
      expect((await ws.connect({ clientId: 'lo6-ws' })).returnCode).toBe(0);
      const v4 = await connectClient(`mqtt://127.0.0.1:${node.ports.mqtt}`, { clientId: 'lo6-v4' });
      try {
        expect((tcp.client.stream as net.Socket).remoteAddress).toBe('::1');
        // One node behind both addresses: a v6 publish reaches v4 and v6 subscribers.
        await tcp.client.subscribeAsync('lo/v6', { qos: 1 });
        await v4.client.subscribeAsync('lo/v6', { qos: 1 });
        ws.send({
          cmd: 'publish',
          topic: 'lo/v6',
          payload: 'v6',
          qos: 1,
          messageId: 1,
          retain: false,
          dup: false,
        });
        expect((await ws.next('puback')).messageId).toBe(1);
        expect((await tcp.take())[0].payload.toString()).toBe('v6');
        expect((await v4.take())[0].payload.toString()).toBe('v6');
        expect((await healthz(node.ports.http, '[::1]')).ports).toEqual(node.ports);
      } finally {
        await ws.destroy();
        await Promise.all([tcp.end(), v4.end()]);
      }
    },
  );
});
