/**
 * Where the real test servers are, for any suite in this workspace.
 *
 * The vitest globalSetup (`./real-services.ts`) starts single-node Kafka and Cassandra
 * through `scripts/services`, then `provide`s their addresses here and sets the same
 * values as environment variables (for code that cannot call `inject`):
 *
 * - `TROUPE_KAFKA_BROKERS`            e.g. `127.0.0.1:19092` (comma-separated)
 * - `TROUPE_CASSANDRA_CONTACT_POINTS` e.g. `127.0.0.1:19042` (comma-separated)
 *
 * A server is unavailable only in one documented case: outside CI, on a machine without
 * JDK 17 or Maven. Suites then skip with `describe.skipIf(!kafkaAvailable())`. Under
 * `CI=true` the globalSetup fails instead, so these suites never skip there.
 *
 * @example
 * describe.skipIf(!kafkaAvailable())('KafkaJournal', () => {
 *   const kafka = new Kafka({ clientId: 'test', brokers: kafkaBrokers() });
 * });
 */
import { inject, type ProvidedContext } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    troupeKafkaAvailable: boolean;
    troupeKafkaBrokers: string[];
    troupeCassandraAvailable: boolean;
    troupeCassandraContactPoints: string[];
  }
}

/** The data centre name of the test Cassandra (SimpleSnitch), for `localDataCenter`. */
export const CASSANDRA_LOCAL_DATA_CENTER = 'datacenter1';

function fromEnv(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((address) => address.trim())
    .filter((address) => address !== '');
}

// `inject` answers only under the globalSetup; the env vars cover other runners.
function provided<K extends keyof ProvidedContext>(key: K): ProvidedContext[K] | undefined {
  return inject(key) as ProvidedContext[K] | undefined;
}

/** True when the test Kafka is up and answering. */
export function kafkaAvailable(): boolean {
  return provided('troupeKafkaAvailable') ?? fromEnv('TROUPE_KAFKA_BROKERS').length > 0;
}

/** Bootstrap addresses of the test Kafka, e.g. `['127.0.0.1:19092']`. */
export function kafkaBrokers(): string[] {
  return provided('troupeKafkaBrokers') ?? fromEnv('TROUPE_KAFKA_BROKERS');
}

/** True when the test Cassandra is up and answering. */
export function cassandraAvailable(): boolean {
  return provided('troupeCassandraAvailable') ?? fromEnv('TROUPE_CASSANDRA_CONTACT_POINTS').length > 0;
}

/** Contact points of the test Cassandra, e.g. `['127.0.0.1:19042']`. */
export function cassandraContactPoints(): string[] {
  return provided('troupeCassandraContactPoints') ?? fromEnv('TROUPE_CASSANDRA_CONTACT_POINTS');
}
