import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The suites against the real Kafka and Cassandra run with vitest.services.config.ts.
    exclude: ['test/services/**', '**/node_modules/**'],
  },
});
