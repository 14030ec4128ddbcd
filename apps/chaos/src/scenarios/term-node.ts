// SIGTERM of one node while traffic flows: it shuts down gracefully, telling its MQTT 5
// clients why (DISCONNECT 0x8B, server shutting down) and saving their sessions; the
// clients reconnect to the other nodes.
import type { ClientRecord } from '../ledger/ledger.js';
import type { ChaosScenario } from '../scenario.js';
import { clientsConnectedTo, describeClientsOn, pickVictim, signalNode } from './victims.js';

const SERVER_SHUTTING_DOWN = 0x8b;

export const termNode = (): ChaosScenario => ({
  name: 'term-node',
  description: 'SIGTERM of one node; MQTT 5 clients must get DISCONNECT 0x8B, all move to the others',
  lossExpected: false,
  async inject(ctx) {
    const victim = pickVictim(ctx);
    const start = Date.now();
    const onVictim = clientsConnectedTo(ctx, victim);
    await signalNode(victim, 'SIGTERM');
    const v5 = onVictim.filter((c) => c.kind.version === 5);
    const told = v5.filter((c) => gotShutdownNotice(c, start));
    ctx.notes.push(
      `SIGTERM ${victim.id} (${describeClientsOn(onVictim)}); DISCONNECT 0x8B to ${told.length}/${v5.length} v5 clients`,
    );
    const untold = v5.filter((c) => !told.includes(c));
    if (untold.length > 0) {
      const got = untold.map(
        (c) => `${c.id}: ${c.disconnects.map((d) => `0x${d.reasonCode.toString(16)}`).join('/') || 'none'}`,
      );
      ctx.failures.push(`v5 clients without DISCONNECT 0x8B: ${got.join(', ')}`);
    }
  },
});

const gotShutdownNotice = (client: ClientRecord, since: number) =>
  client.disconnects.some((d) => d.at >= since && d.reasonCode === SERVER_SHUTTING_DOWN);
