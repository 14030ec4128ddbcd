// Shared groups when a node goes silent: until the others leave it out of their group
// views (three missed heartbeats), each message the views gave to that node went to
// nobody if it was already gone. When a node becomes a suspect, every node with members
// reads the log from the suspect's replay mark and delivers, to a local member, each QoS
// 1/2 group message the old views gave to the suspect and the new views give to this node.
// Copies the suspect had delivered after its mark come a second time (at least once).
import { isExpired } from '@edgemq/model';
import type { BrokerState } from './broker-state.js';
import type { LocalDelivery } from './local-delivery.js';
import { isSharedGroup } from './session.js';
import { chosenNode } from './shared-membership.js';
import { pickMember } from './subscription-index.js';

/** As for replay: the mark is in the suspect's clock, log entries carry Redis's. */
const MARGIN_MS = 2000;

export class SharedRecovery {
  constructor(
    private readonly state: BrokerState,
    private readonly delivery: LocalDelivery,
  ) {}

  /** `suspect` went silent; `viewsBefore` are the group views that still counted on it. */
  async recover(suspect: string, viewsBefore: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const { state } = this;
    const affected = [...viewsBefore].filter(([, nodes]) => nodes.includes(suspect));
    if (affected.length === 0) return;
    const mark = await state.backbone.nodes.replayFrom(suspect);
    if (mark === undefined) return;
    const before = new Map(affected);
    const now = state.now();
    let recovered = 0;
    await state.backbone.replay(mark - MARGIN_MS, (message) => {
      if (message.qos === 0 || isExpired(message, now)) return;
      for (const entry of state.index.match(message.topic)) {
        if (!isSharedGroup(entry)) continue;
        const nodes = before.get(entry.key);
        if (!nodes || chosenNode(nodes, message) !== suspect) continue;
        if (!state.membership.delivers(entry.key, message)) continue;
        const member = pickMember(entry);
        if (!member) continue;
        recovered++;
        this.delivery.deliverRecovered(member, message);
      }
    });
    state.log.info(
      { suspect, groups: affected.length, sinceMs: mark, messages: recovered },
      'a node went silent: its share of shared-group messages since its mark delivered here',
    );
  }
}
