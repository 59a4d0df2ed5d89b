import { defineConfig } from 'vitest/config';

/**
 * The Kafka fault suite: it STOPS the shared test Kafka and starts it again, so it runs
 * alone, after every other suite, never in parallel; it needs Kafka only (kafka-only-services.ts).
 */
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['kafka/**/*.faults.ts'],
    globalSetup: ['./kafka/kafka-only-services.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    execArgv: ['--disable-warning=TimeoutNegativeWarning'],
  },
});
