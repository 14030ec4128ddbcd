// selectProtocol as DESIGN.md states it (after LavinMQ): a Sec-WebSocket-Protocol token starting
// with `mqtt` or `amqp` (case-insensitive) wins and is echoed; otherwise `/mqtt` and `/ws/mqtt`
// select MQTT and any other path AMQP.
import { describe, expect, it } from 'vitest';
import { type ProtocolChoice, selectProtocol } from '../src/protocol-selection.js';

interface Row {
  header: string;
  path: string;
  expected: ProtocolChoice;
}

const fromToken: Row[] = [
  { header: 'mqtt', path: '/', expected: { protocol: 'mqtt', token: 'mqtt' } },
  { header: 'mqttv3.1', path: '/', expected: { protocol: 'mqtt', token: 'mqttv3.1' } },
  { header: 'MQTT', path: '/', expected: { protocol: 'mqtt', token: 'MQTT' } },
  { header: 'MqttV3.1', path: '/ws', expected: { protocol: 'mqtt', token: 'MqttV3.1' } },
  { header: 'foo, mqtt', path: '/', expected: { protocol: 'mqtt', token: 'mqtt' } },
  { header: 'foo,mqtt', path: '/', expected: { protocol: 'mqtt', token: 'mqtt' } },
  { header: '  mqtt  ', path: '/', expected: { protocol: 'mqtt', token: 'mqtt' } },
  { header: 'mqtt', path: '/ws', expected: { protocol: 'mqtt', token: 'mqtt' } },
  { header: 'amqp', path: '/', expected: { protocol: 'amqp', token: 'amqp' } },
  { header: 'AMQP', path: '/ws', expected: { protocol: 'amqp', token: 'AMQP' } },
  { header: 'amqp', path: '/mqtt', expected: { protocol: 'amqp', token: 'amqp' } },
  { header: 'amqp', path: '/ws/mqtt', expected: { protocol: 'amqp', token: 'amqp' } },
  { header: 'foo, amqp', path: '/mqtt', expected: { protocol: 'amqp', token: 'amqp' } },
];

const fromPath: Row[] = [
  { header: '', path: '/mqtt', expected: { protocol: 'mqtt' } },
  { header: '', path: '/ws/mqtt', expected: { protocol: 'mqtt' } },
  { header: '', path: '/ws', expected: { protocol: 'amqp' } },
  { header: '', path: '/', expected: { protocol: 'amqp' } },
  { header: '', path: '/anything', expected: { protocol: 'amqp' } },
  { header: '', path: '/mqttx', expected: { protocol: 'amqp' } },
  { header: '', path: '/ws/mqtt/x', expected: { protocol: 'amqp' } },
  { header: '', path: '/x/mqtt', expected: { protocol: 'amqp' } },
  // Tokens that name neither protocol are ignored; the path decides and nothing is echoed.
  { header: 'foo', path: '/mqtt', expected: { protocol: 'mqtt' } },
  { header: 'foo, bar', path: '/ws', expected: { protocol: 'amqp' } },
  { header: ' , ', path: '/ws/mqtt', expected: { protocol: 'mqtt' } },
  { header: 'xmqtt', path: '/ws', expected: { protocol: 'amqp' } },
];

describe('selectProtocol', () => {
  it.each(fromToken)('token: "$header" on $path → $expected.protocol, echo "$expected.token"', (row) => {
    expect(selectProtocol(row.header, row.path)).toEqual(row.expected);
  });

  it.each(fromPath)('path: "$header" on $path → $expected.protocol, no echo', (row) => {
    const choice = selectProtocol(row.header, row.path);
    expect(choice).toEqual(row.expected);
    expect(choice.token).toBeUndefined();
  });

  it('the echoed token is one of the offered tokens, spelled as offered', () => {
    for (const header of ['Mqtt', 'foo, MQTTv3.1', 'bar,AmQp']) {
      const offered = header.split(',').map((t) => t.trim());
      const { token } = selectProtocol(header, '/');
      expect(offered).toContain(token);
    }
  });
});
