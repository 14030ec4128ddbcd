// Starts a node in-process on free loopback ports for wire tests; stop() ends it.
// useTestNode() is the fixture a test file uses: the node starts before its tests and stops after.
import { randomBytes } from 'node:crypto';
import { createLogger, type EdgeNode, type NodeOptions, startNode } from '@edgemq/broker';
import { configSchema, type EdgeConfigInput } from '@edgemq/config';
import { afterAll, beforeAll } from 'vitest';

export interface TestNode extends EdgeNode {
  wsUrl: string;
  tcpUrl: string;
  httpUrl: string;
}

/** Config for a test node: any section given in part; host, log level and ports have test defaults. */
export type Overrides = {
  [K in keyof EdgeConfigInput]?: EdgeConfigInput[K] extends object | undefined
    ? Partial<EdgeConfigInput[K]>
    : EdgeConfigInput[K];
};

export async function startTestNode(overrides: Overrides = {}, options: NodeOptions = {}): Promise<TestNode> {
  const config = configSchema.parse({
    host: '127.0.0.1',
    logLevel: 'silent',
    shutdownTimeoutMs: 2000,
    ...overrides,
    http: { port: 0, ...overrides.http },
    mqtt: { port: 0, ...overrides.mqtt },
  });
  const node = await startNode(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test'), options);
  return Object.assign(node, {
    wsUrl: `ws://127.0.0.1:${node.ports.http}/mqtt`,
    tcpUrl: `mqtt://127.0.0.1:${node.ports.mqtt}`,
    httpUrl: `http://127.0.0.1:${node.ports.http}`,
  });
}

/**
 * Starts a node (startTestNode) before the tests of the enclosing file or describe block
 * and stops it after them. Returns the node's accessor, for use inside tests and hooks:
 *
 *   const node = useTestNode({ mqtt: { maxInflight: 5 } });
 *   it('…', async () => { await rawConnect(node(), 'tcp', 4, { clientId: 'a' }); });
 */
export function useTestNode(overrides: Overrides = {}, options: NodeOptions = {}): () => TestNode {
  let node: TestNode | undefined;
  beforeAll(async () => {
    node = await startTestNode(overrides, options);
  });
  afterAll(() => node?.stop());
  return () => {
    if (!node) throw new Error('the test node starts in beforeAll: use node() inside tests and hooks');
    return node;
  };
}

/** A name no other test uses: `tag` and 8 random hex digits. */
export const unique = (tag: string) => `${tag}-${randomBytes(4).toString('hex')}`;

/** The two transports every wire test runs over, at MQTT 3.1.1 (4) and 3.1 (3). */
export const transports = ['ws', 'tcp'] as const;
export type TransportName = (typeof transports)[number];

export const protocolLevels = [
  { name: '3.1.1', options: { protocolVersion: 4 as const } },
  { name: '3.1', options: { protocolVersion: 3 as const, protocolId: 'MQIsdp' as const } },
];

export function urlFor(node: TestNode, transport: TransportName): string {
  return transport === 'ws' ? node.wsUrl : node.tcpUrl;
}
