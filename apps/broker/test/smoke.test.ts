import { connectClient } from '@edgemq/testkit';
import { describe, expect, it } from 'vitest';
import { protocolLevels, transports, urlFor, useTestNode } from './helpers/test-node.js';

const node = useTestNode();

describe.each(transports)('smoke over %s', (transport) => {
  it.each(protocolLevels)('publishes and receives at MQTT $name', async ({ options }) => {
    const sub = await connectClient(urlFor(node(), transport), {
      ...options,
      clientId: `s-${transport}-${options.protocolVersion}`,
    });
    const pub = await connectClient(urlFor(node(), transport), {
      ...options,
      clientId: `p-${transport}-${options.protocolVersion}`,
    });
    await sub.client.subscribeAsync(`smoke/${transport}/#`, { qos: 1 });
    await pub.client.publishAsync(`smoke/${transport}/x`, 'hi', { qos: 1 });
    const [m] = await sub.take();
    expect(m.topic).toBe(`smoke/${transport}/x`);
    expect(m.payload.toString()).toBe('hi');
    await Promise.all([sub.end(), pub.end()]);
  });
});
