import { PersistencePlugins } from '@troupe/persistence';
import { KafkaJournal } from './kafka-journal.js';
import type { KafkaJournalOptions, KafkaSnapshotStoreOptions } from './kafka-options.js';
import { KafkaSnapshotStore } from './kafka-snapshot-store.js';

// Importing the package registers the plugin name `kafka` for settings such as
// `{ journals: { default: { plugin: 'kafka', options: { brokers } } } }`. The factories
// connect at once: an unreachable broker fails the first use with KafkaUnreachableError.
PersistencePlugins.registerJournal('kafka', (options) => KafkaJournal.connect(options as KafkaJournalOptions));
PersistencePlugins.registerSnapshotStore('kafka', (options) => KafkaSnapshotStore.connect(options as KafkaSnapshotStoreOptions));
