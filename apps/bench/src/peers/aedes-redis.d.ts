// aedes-persistence-redis ships no types: a factory taking ioredis options (see its README).
declare module 'aedes-persistence-redis' {
  const persistenceRedis: (options?: Record<string, unknown>) => unknown;
  export default persistenceRedis;
}
