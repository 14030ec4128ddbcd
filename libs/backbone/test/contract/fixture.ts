// Per-test setup for the contract suite: build the nodes, pick a random prefix, clean up;
// plus the helpers the contract tests share (message builder, remote-message collector,
// polling wait).

import { randomBytes } from 'node:crypto';
import type { Message, MessageProperties, QoS } from '@edgemq/model';
import { afterEach, beforeEach, expect } from 'vitest';
import type { Backbone } from '../../src/backbone.js';

export type FailureTarget = 'append' | 'retained' | 'sessions' | 'queues';

export interface BackboneContractFixture {
  /** Two (or more) started backbones sharing one store: nodes of one cluster. */
  nodes: Backbone[];
  /** Stops the nodes and releases the store; may run after a test already stopped a node. */
  cleanup(): Promise<void>;
  /** Makes every operation of `what` on `node` reject (failing) or work again. */
  inject?: (node: Backbone, what: FailureTarget, failing: boolean) => void;
}

export type BackboneFactory = () => Promise<BackboneContractFixture>;

export interface ContractContext {
  readonly a: Backbone;
  readonly b: Backbone;
  readonly inject: BackboneContractFixture['inject'];
  /** Random per test: prefix every client id and topic with it. */
  readonly prefix: string;
}

export function useFixture(factory: BackboneFactory): ContractContext {
  let fixture: BackboneContractFixture | undefined;
  let prefix = '';
  beforeEach(async () => {
    fixture = await factory();
    expect(fixture.nodes.length, 'the factory must return at least two nodes').toBeGreaterThanOrEqual(2);
    prefix = `emqt-${randomBytes(6).toString('hex')}`;
  });
  afterEach(async () => {
    const done = fixture;
    fixture = undefined;
    await done?.cleanup();
  });
  const current = (): BackboneContractFixture => {
    if (fixture === undefined) throw new Error('contract fixture used outside a test');
    return fixture;
  };
  return {
    get a() {
      return current().nodes[0];
    },
    get b() {
      return current().nodes[1];
    },
    get inject() {
      return current().inject;
    },
    get prefix() {
      return prefix;
    },
  };
}

export interface MessageOverrides {
  payload?: Buffer | string;
  qos?: QoS;
  retain?: boolean;
  properties?: MessageProperties;
  clientId?: string;
  nodeId?: string;
  createdAtMs?: number;
}

export function message(topic: string, overrides: MessageOverrides = {}): Message {
  const payload = overrides.payload ?? 'hello';
  const built: Message = {
    topic,
    payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    qos: overrides.qos ?? 1,
    retain: overrides.retain ?? false,
    origin: { nodeId: overrides.nodeId ?? 'node-test', clientId: overrides.clientId ?? 'publisher' },
    createdAtMs: overrides.createdAtMs ?? 1_700_000_000_000,
  };
  if (overrides.properties !== undefined) built.properties = overrides.properties;
  return built;
}

/** Every MQTT 5 property a message carries end to end, with binary and ordered values. */
export function fullProperties(): MessageProperties {
  return {
    payloadFormatIndicator: 1,
    messageExpiryInterval: 3600,
    contentType: 'application/json; charset=utf-8',
    responseTopic: 'reply/to/me',
    correlationData: Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]),
    userProperties: [
      ['z', '1'],
      ['a', '2'],
      ['z', '3'],
      ['ключ', 'значение'],
    ],
  };
}

/** Registers an onRemote handler that records what it receives. */
export function collect(node: Backbone): Message[] {
  const received: Message[] = [];
  node.onRemote((received_) => received.push(received_));
  return received;
}

/** Polls until `condition` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const text = (messages: readonly Message[]): string[] => messages.map((m) => m.payload.toString());
