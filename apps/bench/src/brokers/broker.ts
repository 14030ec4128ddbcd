// A broker under test: started on free loopback ports, reachable over TCP and WebSocket
// (and, given a certificate, over WebSocket over TLS and MQTT over TLS), stopped by pid
// (`start.ts` starts one, or a 2-node cluster on a Redis of its own).
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { type Endpoint, isTlsTransport, type Transport } from '../load/wire.js';

export const brokerNames = ['edgemq', 'mosquitto', 'aedes'] as const;
export type BrokerName = (typeof brokerNames)[number];

/** A node's listening ports; `wss` and `mqtts` only when it was started with a certificate. */
export interface BrokerPorts {
  tcp: number;
  ws: number;
  wss?: number;
  mqtts?: number;
}

/** The throwaway certificate of a bench run (testkit's `selfSignedCertificate`). */
export interface BrokerTls {
  certFile: string;
  keyFile: string;
  /** PEM: what the load generator trusts. */
  cert: string;
}

/** The name the bench certificate is made for (CN and SAN), checked by the clients. */
export const TLS_SERVERNAME = 'localhost';

export interface RunningBroker {
  readonly name: BrokerName;
  readonly version: string;
  /** The broker's own process (the first node's in a cluster): CPU and RSS from /proc/<pid>. */
  readonly pid: number;
  /** Every broker process (both nodes of a cluster): CPU and RSS are summed over these. */
  readonly pids: readonly number[];
  /** The first node's ports. */
  readonly ports: BrokerPorts;
  /** Every node's ports, `nodes[0]` = `ports`; one entry for a single broker. */
  readonly nodes: readonly BrokerPorts[];
  /** The certificate its TLS listeners serve (started with one). */
  readonly tls?: BrokerTls;
  /** WebSocket path the broker serves MQTT on. */
  readonly wsPath: string;
  /** The Redis a cluster runs on (started for the cell, stopped with it). */
  readonly redis?: { url: string; pid: number; version: string };
  /** Everything the broker wrote to stdout/stderr (for error messages). */
  output(): string;
  stop(): Promise<void>;
}

/** How a cell runs the broker: one process, or two nodes on a Redis started for the cell. */
export type Topology = 'single' | 'cluster';

/** The brokers that can run as a 2-node cluster over Redis (mosquitto has no such mode). */
export const clusterBrokerNames: readonly BrokerName[] = ['edgemq', 'aedes'];

/** Where to connect over `transport`: node `node` (0 = the first) of the broker. */
export function endpointOf(broker: RunningBroker, transport: Transport, node = 0): Endpoint {
  const ports = broker.nodes[node] ?? broker.ports;
  const port = ports[transport];
  if (port === undefined || (isTlsTransport(transport) && broker.tls === undefined)) {
    throw new Error(`${broker.name} has no ${transport} listener (started without a certificate)`);
  }
  return {
    transport,
    host: '127.0.0.1',
    port,
    path: broker.wsPath,
    ...(isTlsTransport(transport) ? { tls: { ca: broker.tls!.cert, servername: TLS_SERVERNAME } } : {}),
  };
}

/** A loopback port free right now (the broker binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `port` accepts a TCP connection; rejects after `timeoutMs` or if `child` exits. */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before listening on ${port}`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not listening on ${port} after ${timeoutMs} ms`);
}

/** Collects a child's output, keeping the last 64 KiB. */
export function captureOutput(child: ChildProcess): () => string {
  let text = '';
  const add = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-65536);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

/** SIGTERM by pid, SIGKILL after `timeoutMs`; resolves when the process has exited. */
export async function stopChild(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** One node of a broker; `redisUrl` puts it on that Redis (a cluster node). */
export interface StartOptions {
  redisUrl?: string;
  /** Cluster node number (1, 2): names the node where the broker takes a node id. */
  node?: number;
  /** Also open the TLS listeners (`wss`, `mqtts`) with this certificate. */
  tls?: BrokerTls;
}
