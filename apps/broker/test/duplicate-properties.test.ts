// One bad retained message must not disconnect every subscriber (reliability issue, defect
// 7). A retained MQTT 5 PUBLISH that repeats Content Type is a Protocol Error: the node
// closes the publisher with DISCONNECT 0x82 before anything is stored, so neither a
// subscriber that was there nor one that comes later gets it, and both stay connected.
import { describe, expect, it } from 'vitest';
import { RC } from './helpers/mqtt5.js';
import { type RawClient, rawConnect } from './helpers/raw-client.js';
import { transports, unique, useTestNode } from './helpers/test-node.js';

const node = useTestNode();

/** The PUBLISH of the issue: QoS 1, retained, topic dup/contentType/12749, Content Type 'a' then 'b'. */
const REPEATED_CONTENT_TYPE = Buffer.from(
  '332300156475702f636f6e74656e74547970652f3132373439000708030001610300016270',
  'hex',
);
const TOPIC = 'dup/contentType/12749';

/** Nothing the node sent after what was already taken, proven by a PINGREQ round trip (packets leave in order). */
async function sentNothingMore(client: RawClient): Promise<void> {
  client.send({ cmd: 'pingreq' });
  await client.next('pingresp');
  expect(client.untaken().map((p) => p.cmd)).toEqual([]);
  expect(client.closed).toBe(false);
}

describe.each(transports)('a PUBLISH repeating Content Type, over %s', (transport) => {
  it('closes the publisher with DISCONNECT 0x82; nothing is stored or delivered, subscribers stay connected', async () => {
    const { raw: before } = await rawConnect(node(), transport, 5, { clientId: unique('dup-before') });
    await before.subscribe([{ topic: 'dup/#', qos: 1 }]);
    const { raw: publisher } = await rawConnect(node(), transport, 5, { clientId: unique('dup-pub') });
    try {
      publisher.sendBytes(REPEATED_CONTENT_TYPE);
      const disconnect = await publisher.serverDisconnect();
      expect(disconnect.reasonCode).toBe(RC.protocolError);
      expect(publisher.untaken('puback')).toEqual([]);
      await sentNothingMore(before);

      // A later subscriber: SUBACK, no retained message (there is none), and it stays connected.
      const { raw: after } = await rawConnect(node(), transport, 5, { clientId: unique('dup-after') });
      try {
        const suback = await after.subscribe([{ topic: TOPIC, qos: 1 }]);
        expect(suback.granted).toEqual([1]);
        await sentNothingMore(after);
      } finally {
        await after.end();
      }
    } finally {
      await Promise.all([before.end(), publisher.destroy()]);
    }
  });
});
