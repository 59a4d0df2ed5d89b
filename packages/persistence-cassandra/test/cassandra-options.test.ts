import { describe, expect, it } from 'vitest';
import { resolveJournalOptions, resolveSnapshotStoreOptions } from '../src/cassandra-options.js';
import { CassandraJournal } from '../src/cassandra-journal.js';

const base = { contactPoints: ['127.0.0.1:9042'] };

describe('resolveJournalOptions', () => {
  it('applies the documented defaults', () => {
    const o = resolveJournalOptions(base);
    expect(o).toMatchObject({
      keyspace: 'troupe',
      messagesTable: 'messages',
      metadataTable: 'metadata',
      allPersistenceIdsTable: 'all_persistence_ids',
      tagLogTable: 'tag_log',
      persistenceIdLogTable: 'persistence_id_log',
      tagBlockSize: 100_000,
      targetPartitionSize: 500_000,
      localDataCenter: 'datacenter1',
      createSchema: true,
      replication: { strategy: 'SimpleStrategy', replicationFactor: 1 },
      readConsistency: 'QUORUM',
      writeConsistency: 'QUORUM',
      serialConsistency: 'SERIAL',
      unsafeUnconditionalWrites: false,
    });
  });
  it('names the bad field', () => {
    expect(() => resolveJournalOptions({})).toThrow(new TypeError("CassandraJournal: give contactPoints (e.g. ['127.0.0.1:9042']) or a client"));
    expect(() => resolveJournalOptions({ ...base, targetPartitionSize: 0 })).toThrow(new RangeError('CassandraJournal: targetPartitionSize must be a positive integer, got 0'));
    expect(() => resolveJournalOptions({ ...base, keyspace: 'bad-name' })).toThrow(/CassandraJournal: keyspace must be a CQL identifier/);
    expect(() => resolveJournalOptions({ ...base, writeConsistency: 'SOME' as never })).toThrow(/writeConsistency must be one of ANY, ONE/);
    expect(() => resolveJournalOptions({ ...base, replication: { strategy: 'NetworkTopologyStrategy', dataCenters: {} } })).toThrow(/replication.dataCenters must name at least one/);
    expect(() => resolveJournalOptions({ ...base, serialConsistency: 'QUORUM' as never })).toThrow(
      new TypeError("CassandraJournal: serialConsistency must be 'SERIAL' or 'LOCAL_SERIAL', got \"QUORUM\""),
    );
    expect(() => resolveJournalOptions({ ...base, tagBlockSize: 1_048_576 })).toThrow(
      new RangeError("CassandraJournal: tagBlockSize must be at most 1048575 (the offset format's room per block), got 1048576"),
    );
    expect(() => resolveJournalOptions({ ...base, tagLogTable: 'tag-log' })).toThrow(/CassandraJournal: tagLogTable must be a CQL identifier/);
    expect(() => resolveJournalOptions({ ...base, unsafeUnconditionalWrites: 'yes' as never })).toThrow(new TypeError('CassandraJournal: unsafeUnconditionalWrites must be a boolean, got yes'));
  });
  it('is checked when the journal is constructed, before any connection', () => {
    expect(() => new CassandraJournal({ ...base, replayPageSize: -1 })).toThrow(/replayPageSize must be a positive integer, got -1/);
  });
});

describe('resolveSnapshotStoreOptions', () => {
  it('uses its own keyspace by default', () => {
    expect(resolveSnapshotStoreOptions(base)).toMatchObject({ keyspace: 'troupe_snapshot', snapshotsTable: 'snapshots' });
  });
});
