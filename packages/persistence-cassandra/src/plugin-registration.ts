import { PersistencePlugins } from '@troupe/persistence';
import { CassandraJournal } from './cassandra-journal.js';
import type { CassandraJournalOptions, CassandraSnapshotStoreOptions } from './cassandra-options.js';
import { CassandraSnapshotStore } from './cassandra-snapshot-store.js';

// Importing the package registers the plugin name `cassandra`, so settings can say
// `{ plugin: 'cassandra', options: { contactPoints: [...] } }`. The factories connect at
// once: an unreachable server fails the first use with CassandraUnreachableError.
PersistencePlugins.registerJournal('cassandra', (options) => CassandraJournal.connect((options ?? {}) as CassandraJournalOptions));
PersistencePlugins.registerSnapshotStore('cassandra', (options) => CassandraSnapshotStore.connect((options ?? {}) as CassandraSnapshotStoreOptions));
