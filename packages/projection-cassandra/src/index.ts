export { CassandraOffsetStore, CassandraOffsetStoreDefaults, type CassandraOffsetStoreOptions } from './cassandra-offset-store.js';
export { CassandraUpsertSink, CassandraUpsertSinkDefaults, type CassandraUpsertSinkOptions, type UpsertRow } from './cassandra-upsert-sink.js';
export type { SinkConsistency } from './consistency.js';
export { CassandraSinkSchemaError, CassandraUpsertError } from './errors.js';
