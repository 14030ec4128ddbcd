// kill -9 of one node while traffic flows: its clients lose their connections without a
// word and reconnect to the other nodes; persistent sessions resume there (the new node's
// takeover request goes unanswered, so it replays the log from the dead node's mark).
import type { ChaosScenario } from '../scenario.js';
import { clientsConnectedTo, describeClientsOn, pickVictim, signalNode } from './victims.js';

export const killNode = (): ChaosScenario => ({
  name: 'kill-node',
  description: 'kill -9 of one node; its clients reconnect to the others',
  lossExpected: false,
  async inject(ctx) {
    const victim = pickVictim(ctx);
    const onVictim = clientsConnectedTo(ctx, victim);
    await signalNode(victim, 'SIGKILL');
    ctx.notes.push(`SIGKILL ${victim.id} (${describeClientsOn(onVictim)})`);
  },
});
