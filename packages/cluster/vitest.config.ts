import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    // Multi-node tests start real processes; the bound is per test and they stop by themselves.
    testTimeout: 30_000,
    hookTimeout: 20_000,
    fileParallelism: false,
  },
});
