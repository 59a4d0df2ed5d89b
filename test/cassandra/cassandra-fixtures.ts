import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { CASSANDRA_LOCAL_DATA_CENTER, cassandraContactPoints } from '../setup/services-env.js';

/** A keyspace name unique to this run and file: the servers may be reused across runs. */
export function uniqueKeyspace(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** A driver client on the test Cassandra, for sharing between journals and for checks. */
export function testClient(): cassandra.Client {
  return new cassandra.Client({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER });
}

/** Drops the keyspaces (ignoring ones never created), then shuts the client down. */
export async function dropKeyspaces(client: cassandra.Client, ...keyspaces: string[]): Promise<void> {
  try {
    for (const keyspace of keyspaces) await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await client.shutdown();
  }
}

/** Resolves once `condition()` holds; rejects after `timeoutMs` (the deadline only exists to fail). */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
  }
}
