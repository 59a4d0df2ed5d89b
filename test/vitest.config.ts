import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // Starts (or reuses) the real Kafka and Cassandra; see setup/real-services.ts.
    globalSetup: ['./setup/real-services.ts'],
    // Real servers on a 2-core box: first consumer-group joins and schema changes take
    // seconds, not milliseconds. These limits only exist to fail a stuck test.
    // One file at a time: the fault suites stop and restart the shared real servers.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // kafkajs 2.2.4 trips Node 24's TimeoutNegativeWarning on every connection
    // (tulios/kafkajs#1751); harmless, and it would drown the test output.
    execArgv: ['--disable-warning=TimeoutNegativeWarning'],
  },
});
