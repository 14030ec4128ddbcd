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

  /** Retained topic names matching `filter`; wildcards at the start skip `$` topics [MQTT-4.7.2-1]. */
  match(filter: string): string[] {
    const out: string[] = [];
    this.walk(this.root, filter.split('/'), 0, out);
    return out;
  }

  private walk(node: Node, levels: string[], depth: number, out: string[]): void {
    if (depth === levels.length) {
      if (node.topic !== undefined) out.push(node.topic);
      return;
    }
    const level = levels[depth];
    if (level === '#') {
      // `#` matches the parent level too: `a/#` matches `a` [MQTT-4.7.1-2].
      if (node.topic !== undefined && depth > 0) out.push(node.topic);
      this.collect(node, depth === 0, out);
      return;
    }
    if (level === '+') {
      for (const [name, child] of node.children) {
        if (depth === 0 && name.startsWith('$')) continue;
        this.walk(child, levels, depth + 1, out);
      }
      return;
    }
    const child = node.children.get(level);
    if (child) this.walk(child, levels, depth + 1, out);
  }

  private collect(node: Node, atRoot: boolean, out: string[]): void {
    for (const [name, child] of node.children) {
      if (atRoot && name.startsWith('$')) continue;
      if (child.topic !== undefined) out.push(child.topic);
      this.collect(child, false, out);
    }
  }
}
