// A QoS 1 subscriber that never acknowledges (a raw socket that never sends PUBACK). The
// node must stop at its in-flight limit for it (mqtt.maxInflight) and keep serving the
// others as if it were not there.
import { configSchema } from '@edgemq/config';
import { HOST } from '../clients/endpoints.js';
import { StuckClient } from '../clients/stuck-client.js';
import type { ChaosScenario } from '../scenario.js';
import { sleep } from '../until.js';
import { pickVictim } from './victims.js';

/** The nodes run the default configuration, so its in-flight limit is the one to hold. */
const maxInflight = configSchema.parse({}).mqtt.maxInflight;
export function stuckClient(): ChaosScenario {
  let stuck: StuckClient | undefined;
  return {
    name: 'stuck-client',
    description: 'a QoS 1 subscriber that never sends PUBACK (raw socket) joins while traffic flows',
    lossExpected: false,
    async inject(ctx) {
      const node = pickVictim(ctx);
      stuck = await StuckClient.open(HOST, node.tcpPort, 'stuck', `${ctx.root}/t/#`);
      const client = stuck;
      ctx.cleanups.push(() => client.close());
      // Give it time to fill its window before the others are judged.
      await sleep(Math.min(ctx.params.slowMs, ctx.params.afterFaultMs / 2));
    },
    async observe(ctx) {
      if (stuck === undefined) return;
      ctx.notes.push(`stuck client holds ${stuck.unacknowledgedCount} unacknowledged (limit ${maxInflight})`);
      if (stuck.unacknowledgedCount > maxInflight) {
        ctx.failures.push(
          `${stuck.unacknowledgedCount} unacknowledged PUBLISHes to one client, more than mqtt.maxInflight ${maxInflight}`,
        );
      }
      if (!stuck.connected) ctx.notes.push('stuck client was disconnected');
    },
  };
}
