export * from './backbone.js';
export {
  type FailureSwitches,
  MemoryBackbone,
  type MemoryBackboneOptions,
  MemoryHub,
  MemoryLog,
  type MemoryLogMember,
} from './memory/memory-backbone.js';
export { RedisBackbone, type RedisBackboneOptions } from './redis/redis-backbone.js';
export { shardOf } from './redis/shard.js';
