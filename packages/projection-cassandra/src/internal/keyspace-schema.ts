import type cassandra from 'cassandra-driver';
import { CassandraSinkSchemaError } from '../errors.js';

/**
 * Creates `keyspace` (SimpleStrategy, `replicationFactor`) when it is missing. For
 * development and tests; in production create keyspaces once, with the replication the
 * cluster needs, and turn `createSchema` off: concurrent schema changes from several
 * processes can disagree.
 */
export async function ensureKeyspace(client: cassandra.Client, keyspace: string, replicationFactor: number): Promise<void> {
  try {
    await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': ${replicationFactor}}`);
  } catch (error) {
    throw new CassandraSinkSchemaError(`cannot create keyspace ${keyspace}: ${(error as Error).message}`, error);
  }
}

/** Runs a `CREATE TABLE IF NOT EXISTS` statement, wrapping a failure. */
export async function ensureTable(client: cassandra.Client, qualified: string, cql: string): Promise<void> {
  try {
    await client.execute(cql);
  } catch (error) {
    throw new CassandraSinkSchemaError(`cannot create table ${qualified}: ${(error as Error).message}`, error);
  }
}
