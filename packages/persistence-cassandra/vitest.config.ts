import { defineConfig } from 'vitest/config';

// Unit tests only (no server): partition arithmetic, CQL building, option checks.
// The suites against a real Cassandra live in the repository's test/cassandra/.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
  },
});
