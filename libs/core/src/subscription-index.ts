// Every subscription held on this node, in a trie keyed by filter. A shared subscription
// `$share/{group}/{filter}` joins the group's single entry under the inner filter, so a
// match yields plain subscriptions and whole groups; delivery picks one member per group.

import type { IndexEntry, Session, SharedGroup, Subscription, SubscriptionOptions } from './session.js';
import { parseSharedFilter } from './topic.js';
import { TopicIndex } from './topic-index.js';

export class SubscriptionIndex {
  private readonly trie: TopicIndex<IndexEntry>;
  private readonly groups = new Map<string, SharedGroup>();
  private count = 0;

  constructor(cacheSize?: number) {
    this.trie = new TopicIndex<IndexEntry>({ cacheSize });
  }

  get size(): number {
    return this.count;
  }

  /**
   * Adds a subscription, or replaces the options of the session's existing one
   * [MQTT-3.8.4-3]. `newGroup` names a shared group this node had no member of before.
   */
  add(
    session: Session,
    filter: string,
    options: SubscriptionOptions,
  ): { sub: Subscription; existed: boolean; newGroup?: string } {
    const existing = session.subscriptions.get(filter);
    if (existing) {
      existing.options = options;
      return { sub: existing, existed: true };
    }
    const sub: Subscription = { session, filter, options, alone: undefined };
    session.keepSubscription(sub);
    this.count++;
    const shared = parseSharedFilter(filter);
    if (!shared) {
      this.trie.add(filter, sub);
      return { sub, existed: false };
    }
    const key = `${shared.group}\u0000${shared.filter}`;
    let group = this.groups.get(key);
    const newGroup = group ? undefined : key;
    if (!group) {
      group = { key, filter: shared.filter, members: [], next: 0 };
      this.groups.set(key, group);
      this.trie.add(shared.filter, group);
    }
    group.members.push(sub);
    sub.group = group;
    return { sub, existed: false, newGroup };
  }

  /** Returns the key of a shared group that lost its last member here. */
  remove(sub: Subscription): string | undefined {
    const { session, filter, group } = sub;
    if (session.subscriptions.get(filter) !== sub) return undefined;
    session.dropSubscription(filter);
    this.count--;
    if (!group) {
      this.trie.remove(filter, sub);
      return undefined;
    }
    group.members.splice(group.members.indexOf(sub), 1);
    if (group.members.length > 0) return undefined;
    this.groups.delete(group.key);
    this.trie.remove(group.filter, group);
    return group.key;
  }

  /** Returns the keys of shared groups that lost their last member here. */
  removeAll(session: Session): string[] {
    const emptied: string[] = [];
    for (const sub of [...session.subscriptions.values()]) {
      const key = this.remove(sub);
      if (key) emptied.push(key);
    }
    return emptied;
  }

  match(topic: string): readonly IndexEntry[] {
    return this.trie.match(topic);
  }
}

/**
 * The member of `group` that gets the next message: members take turns, and a connected
 * member is preferred over a parked one so a message is not queued while someone could
 * take it now.
 */
export function pickMember(group: SharedGroup): Subscription | undefined {
  const { members } = group;
  const n = members.length;
  for (let i = 0; i < n; i++) {
    const sub = members[(group.next + i) % n];
    if (sub.session.target) {
      group.next = (group.next + i + 1) % n;
      return sub;
    }
  }
  if (n === 0) return undefined;
  const sub = members[group.next % n];
  group.next = (group.next + 1) % n;
  return sub;
}
