import { TroupeError } from '@troupe/core';

/** An upsert into a Cassandra table failed; nothing says which of the rows were written (write them again: they are idempotent). */
export class CassandraUpsertError extends TroupeError {
  constructor(
    /** `keyspace.table`. */
    readonly table: string,
    /** Rows in the failed call. */
    readonly rows: number,
    cause: unknown,
  ) {
    super('ERR_CASSANDRA_UPSERT', `upsert of ${rows} rows into ${table} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The keyspace or table a sink or offset store needs is missing (and `createSchema` is off), or could not be created. */
export class CassandraSinkSchemaError extends TroupeError {
  constructor(message: string, cause?: unknown) {
    super('ERR_CASSANDRA_SINK_SCHEMA', message, cause === undefined ? undefined : { cause });
  }
}
