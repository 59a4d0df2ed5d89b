import { defineConfig } from 'vitest/config';

// These suites run against the real Kafka of scripts/services: the repository's
// globalSetup reuses a running one or starts it, and under CI=true never skips.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['../../test/setup/real-services.ts'],
    fileParallelism: false,
    // Real servers on a small shared machine: these limits only exist to fail a stuck test.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
