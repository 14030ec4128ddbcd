// Which log shard a topic goes to: FNV-1a (32 bit) over the topic's UTF-16 code units,
// modulo the shard count. Every node must use the same function and shard count, so that
// one topic always lands in one stream and its messages keep their order.

export function shardOf(topic: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < topic.length; i++) {
    hash ^= topic.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
