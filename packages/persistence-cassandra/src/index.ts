import './plugin-registration.js';

export { CassandraJournal } from './cassandra-journal.js';
export type {
  CassandraConnectionOptions,
  CassandraJournalOptions,
  CassandraSnapshotStoreOptions,
  ConsistencyName,
  Replication,
  ResolvedCassandraJournalOptions,
  ResolvedCassandraSnapshotStoreOptions,
  ResolvedConnectionOptions,
  SerialConsistencyName,
} from './cassandra-options.js';
export { CassandraSnapshotStore } from './cassandra-snapshot-store.js';
export { CassandraContendedError, CassandraSchemaError, CassandraTagLogError, CassandraUnreachableError, CassandraWriteRejectedError } from './errors.js';
export type { EventTableOptions, EventTableRow, JournalKey } from './event-table.js';
export { JournalStatements } from './journal-statements.js';
export { OrderedLogStatements } from './ordered-log-statements.js';
export { exceedsPartition, partitionNr, partitionOfWrite } from './partitioning.js';
export { SnapshotStatements } from './snapshot-statements.js';
export { TAG_OFFSET_BLOCK_SPAN, tagOffset, tagOffsetParts } from './tag-offset.js';
export { splitMurmur3Ring, type TokenRangeSplit } from './token-ranges.js';
