import { defineConfig } from 'vitest/config';

// Runs only the persistence crash test, without the workspace's Kafka/Cassandra
// globalSetup: `npx vitest run --config persistence/vitest.config.ts` from test/.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['*.test.ts'],
    testTimeout: 60_000,
  },
});
