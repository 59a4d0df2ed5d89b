import { defineConfig } from 'vitest/config';

// The Kafka + Cassandra variant's suites, against the real services of scripts/services:
// the repository's globalSetup reuses running ones or starts them, and under CI=true never skips.
export default defineConfig({
  test: {
    include: ['test/services/**/*.test.ts'],
    globalSetup: ['../../test/setup/real-services.ts'],
    fileParallelism: false,
    // Real servers on a small shared machine: these limits only exist to fail a stuck test.
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
