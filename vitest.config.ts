import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import workspace libs from source so a failing test points at TypeScript, not dist.
const lib = (name: string) => fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@edgemq/config': lib('config'),
      '@edgemq/model': lib('model'),
      '@edgemq/access': lib('access'),
      '@edgemq/core': lib('core'),
      '@edgemq/backbone': lib('backbone'),
      '@edgemq/transport': lib('transport'),
      '@edgemq/mqtt': lib('mqtt'),
      '@edgemq/testkit': lib('testkit'),
      '@edgemq/broker': fileURLToPath(new URL('./apps/broker/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['libs/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    // uWebSockets.js is a native addon: forks keep each test file in its own process.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
