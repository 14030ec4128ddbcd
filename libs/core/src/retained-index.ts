// The names of topics that hold a retained message, as a trie walked by a subscription
// filter, so a wildcard SUBSCRIBE finds its retained messages without scanning them all.
// The messages themselves live in the backbone; only names live here.

interface Node {
  children: Map<string, Node>;
  /** Set when a retained topic ends at this node. */
  topic?: string;
}

const newNode = (): Node => ({ children: new Map() });

export class RetainedIndex {
  private readonly root = newNode();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(topic: string): void {
    let node = this.root;
    for (const level of topic.split('/')) {
      let child = node.children.get(level);
      if (!child) {
        child = newNode();
        node.children.set(level, child);
      }
      node = child;
    }
    if (node.topic === undefined) this.count++;
    node.topic = topic;
  }

  remove(topic: string): void {
    const path: Node[] = [this.root];
    const levels = topic.split('/');
    for (const level of levels) {
      const child = path[path.length - 1].children.get(level);
      if (!child) return;
      path.push(child);
    }
    const leaf = path[path.length - 1];
    if (leaf.topic === undefined) return;
    leaf.topic = undefined;
    this.count--;
    for (let i = levels.length; i > 0; i--) {
      const node = path[i];
      if (node.topic !== undefined || node.children.size > 0) break;
      path[i - 1].children.delete(levels[i - 1]);
    }
  }

  /**
   * Retained topic names matching `filter`; wildcards at the start skip `$` topics
   * [MQTT-4.7.2-1]. Walks with a stack of its own, not by recursion: a topic may have as many
   * levels as its bytes allow (32,768 in 65,535 bytes), far past what the call stack holds.
   */
  match(filter: string): string[] {
    const levels = filter.split('/');
    const out: string[] = [];
    // Nodes still to visit, each with the filter level it is to be matched against.
    const pending: { node: Node; depth: number }[] = [{ node: this.root, depth: 0 }];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const { node, depth } = next;
      if (depth === levels.length) {
        if (node.topic !== undefined) out.push(node.topic);
        continue;
      }
      const level = levels[depth];
      if (level === '#') {
        // `#` matches the parent level too: `a/#` matches `a` [MQTT-4.7.1-2].
        if (node.topic !== undefined && depth > 0) out.push(node.topic);
        collectBelow(node, depth === 0, out);
      } else if (level === '+') {
        for (const [name, child] of node.children) {
          if (depth === 0 && name.startsWith('$')) continue;
          pending.push({ node: child, depth: depth + 1 });
        }
      } else {
        const child = node.children.get(level);
        if (child) pending.push({ node: child, depth: depth + 1 });
      }
    }
    return out;
  }
}

/** Appends every topic below `node` (not its own), iteratively; at the root, `$` topics are skipped. */
function collectBelow(node: Node, atRoot: boolean, out: string[]): void {
  const pending: Node[] = [];
  for (const [name, child] of node.children) {
    if (atRoot && name.startsWith('$')) continue;
    pending.push(child);
  }
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.topic !== undefined) out.push(next.topic);
    for (const child of next.children.values()) pending.push(child);
  }
}
