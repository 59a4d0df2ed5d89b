import type { Journal } from '@troupe/persistence';
import { journalSpec, persistencePluginTck, querySpec, resumedTagQuerySpec, singleWriterSpec, twoIncarnationsSpec } from '@troupe/persistence/tck';
import { CassandraJournal, CassandraSnapshotStore } from '@troupe/persistence-cassandra';
import type cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe } from 'vitest';
import { CASSANDRA_LOCAL_DATA_CENTER, cassandraAvailable, cassandraContactPoints } from '../setup/services-env.js';
import { dropKeyspaces, testClient, uniqueKeyspace } from './cassandra-fixtures.js';
import { holdCassandraShared } from './cassandra-lock.js';

// One keyspace pair per file, dropped at the end; every TCK test uses fresh persistence ids.
const journalKeyspace = uniqueKeyspace('tck_journal');
const snapshotKeyspace = uniqueKeyspace('tck_snapshot');
const MiB = 1024 * 1024;
// The TCK's largest atomic write has 300 events: the smallest target partition size the
// whole kit allows. The single-writer suites run again on 7-event partitions (their largest write has 7 events), so their
// writes cross partition boundaries (where fencing is hardest); the highest-number hints
// across partitions are covered in cassandra-journal.test.ts.
const journalOptions = { targetPartitionSize: 300, replayPageSize: 100, maxPayloadBytes: 2 * MiB } as const;
const smallPartitions = { targetPartitionSize: 7, replayPageSize: 2, maxPayloadBytes: 2 * MiB } as const;
const ownConnection = () => ({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER });

// The TCK creates a journal per test: they share one driver session (as journal and
// snapshot store do in production), so each test does not pay for a new connection.
let shared: cassandra.Client | undefined;
const client = (): cassandra.Client => (shared ??= testClient());

// Keeps the fault suite from stopping Cassandra while this file runs (cassandra-lock.ts).
let release: (() => void) | undefined;
beforeAll(async () => {
  if (cassandraAvailable()) release = await holdCassandraShared('tck');
}, 300_000);
afterAll(async () => {
  try {
    if (shared !== undefined) await dropKeyspaces(shared, journalKeyspace, snapshotKeyspace);
  } finally {
    release?.();
  }
});

describe.skipIf(!cassandraAvailable())('CassandraJournal against a real Cassandra', () => {
  persistencePluginTck({
    name: 'CassandraJournal',
    journal: {
      create: () => new CassandraJournal({ client: client(), keyspace: journalKeyspace, ...journalOptions }),
      rejectsPayloadsAbove: 2 * MiB,
      // A new instance with its own connection, as after a process restart.
      reopen: async (journal) => {
        await journal.close?.();
        return CassandraJournal.connect({ ...ownConnection(), keyspace: journalKeyspace, ...journalOptions });
      },
      // A second instance with its own connection and caches, as another process.
      openSibling: () => CassandraJournal.connect({ ...ownConnection(), keyspace: journalKeyspace, ...journalOptions }),
    },
    snapshotStore: {
      create: () => new CassandraSnapshotStore({ client: client(), keyspace: snapshotKeyspace }),
      reopen: async (store) => {
        await store.close?.();
        return CassandraSnapshotStore.connect({ ...ownConnection(), keyspace: snapshotKeyspace });
      },
    },
  });
});

describe.skipIf(!cassandraAvailable())('CassandraJournal on 7-event partitions against a real Cassandra', () => {
  const sibling = (): Promise<CassandraJournal> => CassandraJournal.connect({ ...ownConnection(), keyspace: journalKeyspace, ...smallPartitions });
  // The whole journal kit again on partitions of 7 events, so replays, deletions and the
  // highest-number hints cross partition boundaries (the cases writing more than 7 events
  // in one atomic write are skipped).
  journalSpec('CassandraJournal (7-event partitions)', {
    create: () => new CassandraJournal({ client: client(), keyspace: journalKeyspace, ...smallPartitions }),
    rejectsPayloadsAbove: 2 * MiB,
    largestAtomicWrite: smallPartitions.targetPartitionSize,
    reopen: async (journal) => {
      await journal.close?.();
      return sibling();
    },
    openSibling: sibling,
  });
  singleWriterSpec('CassandraJournal (7-event partitions)', {
    create: () => new CassandraJournal({ client: client(), keyspace: journalKeyspace, ...smallPartitions }),
    reopen: async (journal) => {
      await journal.close?.();
      return sibling();
    },
    openSibling: sibling,
  });
  // The queries again on 5-entry log blocks, so that appends and reads cross blocks all the
  // time: seals, appends moving on (with the fence re-check), reads stepping to the next block.
  const smallBlocks = { ...smallPartitions, tagBlockSize: 5 } as const;
  const queryOptions = {
    create: () => new CassandraJournal({ client: client(), keyspace: journalKeyspace, ...smallBlocks }),
    rejectsPayloadsAbove: 2 * MiB,
    openSibling: () => CassandraJournal.connect({ ...ownConnection(), keyspace: journalKeyspace, ...smallBlocks }),
  };
  querySpec('CassandraJournal (5-entry tag-log blocks)', queryOptions);
  resumedTagQuerySpec('CassandraJournal (5-entry tag-log blocks)', queryOptions);
  // Two actor systems, each with its own journal connection, running one persistence id.
  const opened: Journal[] = [];
  twoIncarnationsSpec('CassandraJournal (7-event partitions)', {
    openJournal: async () => {
      const journal = await sibling();
      opened.push(journal);
      return journal;
    },
    cleanup: async () => {
      await Promise.all(opened.splice(0).map((journal) => journal.close?.()));
    },
  });
});
