// Protocol selection on the HTTP/WS port (DESIGN.md): a Sec-WebSocket-Protocol token starting
// with `mqtt` or `amqp` wins and is echoed in the 101; otherwise `/mqtt` and `/ws/mqtt` mean
// MQTT and every other path AMQP (not served yet: closed cleanly with 1003).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { connectClient, waitFor } from '@edgemq/testkit';
import { generate, type Packet, parser } from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useTestNode } from './helpers/test-node.js';

const node = useTestNode();

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const opened: WebSocket[] = [];
afterEach(() => {
  for (const ws of opened.splice(0)) ws.terminate();
});

interface Opened {
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a WebSocket on `path` offering `protocols` (none: no Sec-WebSocket-Protocol header). */
async function open(path: string, protocols?: string | string[]): Promise<Opened> {
  const ws = new WebSocket(`ws://127.0.0.1:${node().ports.http}${path}`, protocols);
  opened.push(ws);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, closed };
}

let clientSeq = 0;

/** Proves the socket speaks MQTT: a CONNECT gets a successful CONNACK. */
async function expectMqtt({ ws }: Opened, protocolVersion: 3 | 4 = 4): Promise<void> {
  const packets: Packet[] = [];
  const decoder = parser({ protocolVersion });
  decoder.on('packet', (p) => packets.push(p));
  ws.on('message', (data: Buffer) => decoder.parse(data));
  ws.send(
    generate({
      cmd: 'connect',
      protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion,
      clean: true,
      clientId: `sel-${++clientSeq}`,
      keepalive: 0,
    }),
  );
  await waitFor(() => packets.length > 0, 5000, 'CONNACK');
  expect(packets[0].cmd).toBe('connack');
  expect((packets[0] as Extract<Packet, { cmd: 'connack' }>).returnCode).toBe(0);
  expect(ws.readyState).toBe(WebSocket.OPEN);
}

/** Proves the socket was routed to AMQP, which is refused for now with a clean 1003 close. */
async function expectAmqpRefused({ closed }: Opened): Promise<void> {
  const { code, reason } = await within(closed, 3000, 'the 1003 close');
  expect(code).toBe(1003);
  expect(reason).toMatch(/AMQP/);
  expect(reason).toMatch(/not yet supported/);
}

/** A bare HTTP upgrade, to see the 101 response headers exactly as sent. */
async function upgrade(
  path: string,
  protocolHeader?: string,
): Promise<{ status: number; protocol: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: node().ports.http,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...(protocolHeader === undefined ? {} : { 'Sec-WebSocket-Protocol': protocolHeader }),
      },
    });
    req.once('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, protocol: res.headers['sec-websocket-protocol'] });
    });
    req.once('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, protocol: res.headers['sec-websocket-protocol'] });
    });
    req.once('error', reject);
    req.end();
  });
}

describe('Sec-WebSocket-Protocol selects the protocol and is echoed', () => {
  it('`mqtt` on `/` selects MQTT and echoes `mqtt`', async () => {
    const conn = await open('/', 'mqtt');
    expect(conn.ws.protocol).toBe('mqtt');
    await expectMqtt(conn);
  });

  it('`mqttv3.1` selects MQTT and echoes `mqttv3.1`', async () => {
    const conn = await open('/', 'mqttv3.1');
    expect(conn.ws.protocol).toBe('mqttv3.1');
    await expectMqtt(conn, 3);
  });

  it('`MQTT` (upper case) selects MQTT and is echoed as sent', async () => {
    const conn = await open('/', 'MQTT');
    expect(conn.ws.protocol).toBe('MQTT');
    await expectMqtt(conn);
  });

  it('offered `foo, mqtt` selects MQTT and echoes only `mqtt`', async () => {
    const conn = await open('/', ['foo', 'mqtt']);
    expect(conn.ws.protocol).toBe('mqtt');
    await expectMqtt(conn);
    // The header exactly as a browser may write it, with a space after the comma.
    expect(await upgrade('/', 'foo, mqtt')).toEqual({ status: 101, protocol: 'mqtt' });
  });

  it('the `mqtt` token wins over an AMQP path (`/ws`)', async () => {
    const conn = await open('/ws', 'mqtt');
    expect(conn.ws.protocol).toBe('mqtt');
    await expectMqtt(conn);
  });

  it('the `amqp` token wins over an MQTT path (`/mqtt`): `amqp` echoed, then a clean 1003 close', async () => {
    const conn = await open('/mqtt', 'amqp');
    expect(conn.ws.protocol).toBe('amqp');
    await expectAmqpRefused(conn);
  });
});

describe('without Sec-WebSocket-Protocol the path selects the protocol', () => {
  it.each(['/mqtt', '/ws/mqtt'])('no header on `%s` selects MQTT, with no protocol echoed', async (path) => {
    const conn = await open(path);
    expect(conn.ws.protocol).toBe('');
    await expectMqtt(conn);
    expect(await upgrade(path)).toEqual({ status: 101, protocol: undefined });
  });

  it('a query string does not change the path (`/mqtt?token=x` selects MQTT)', async () => {
    const conn = await open('/mqtt?token=x');
    await expectMqtt(conn);
  });

  it.each(['/ws', '/'])('no header on `%s` selects AMQP: closed cleanly with 1003', async (path) => {
    const conn = await open(path);
    expect(conn.ws.protocol).toBe('');
    await expectAmqpRefused(conn);
  });

  it('a token that names neither protocol falls back to the path and is not echoed', async () => {
    expect(await upgrade('/mqtt', 'foo')).toEqual({ status: 101, protocol: undefined });
  });
});

describe('MQTT.js over WebSocket', () => {
  it.each(['/mqtt', '/ws'])(
    'connects, subscribes and receives over `%s` (it offers `mqtt`)',
    async (path) => {
      const url = `ws://127.0.0.1:${node().ports.http}${path}`;
      const tag = path.replace(/\W/g, '');
      const client = await connectClient(url, { clientId: `mqttjs-${tag}` });
      try {
        await client.client.subscribeAsync(`sel/${tag}`, { qos: 1 });
        await client.client.publishAsync(`sel/${tag}`, 'via mqtt.js', { qos: 1 });
        const [message] = await client.take();
        expect(message.payload.toString()).toBe('via mqtt.js');
      } finally {
        await client.end();
      }
    },
  );

  it('the node keeps serving MQTT after refusing an AMQP socket', async () => {
    await expectAmqpRefused(await open('/ws'));
    const client = await connectClient(node().wsUrl, { clientId: 'after-amqp' });
    await client.end();
  });
});
