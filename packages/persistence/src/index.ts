export {
  JournalCallTimeoutError,
  JournalDeleteError,
  JournalOverloadedError,
  JournalRejectedError,
  JournalWriteError,
  PayloadTooLargeError,
  PluginNotFoundError,
  QueryNotSupportedError,
  RecoveryError,
  SequenceNumberTakenError,
  SnapshotStoreError,
  StaleIncarnationError,
  UndeserializableEventError,
  WriterFencedError,
  isStaleWriterRejection,
} from './errors.js';
export type { EventAdapter } from './event-adapter.js';
export { InMemoryJournal, type InMemoryJournalOptions } from './in-memory-journal.js';
export { InMemorySnapshotStore, type InMemorySnapshotStoreOptions } from './in-memory-snapshot-store.js';
export { JournalListeners } from './journal-listeners.js';
export { JournalRememberEntitiesStore, type JournalRememberEntitiesStoreOptions, type JournalRememberedShard } from './journal-remember-entities-store.js';
export { type Journal, type JournalCapabilities, type OrderedPersistenceId, type OrderedRepr, type ReplayRange, type WriteReport, checkReplayRange } from './journal.js';
export type { BatchingOptions } from './journal-batcher.js';
export { JsonPayloadSerializer } from './json-payload-serializer.js';
export { Persistence, type JournalHandle, type JournalSetting, type PersistenceSettings, type SnapshotStoreSetting } from './persistence.js';
export { PersistencePlugins, type JournalPluginFactory, type SnapshotStorePluginFactory } from './persistence-plugins.js';
export { PersistentActor } from './persistent-actor.js';
export type { AtomicWrite, PersistentRepr } from './persistent-repr.js';
export type { EventEnvelope } from './query/event-envelope.js';
export { PersistenceQuery } from './query/persistence-query.js';
export { ReadJournal, type LiveQueryOptions, type QueryOptions, type ReadJournalOptions, type UndeserializablePolicy } from './query/read-journal.js';
export { Recovery } from './recovery.js';
export { SnapshotSelectionCriteria, type SnapshotMetadata, type SnapshotStore, type StoredSnapshot } from './snapshot-store.js';
export { SqliteJournal } from './sqlite-journal.js';
export type { ResolvedSqliteOptions, SqliteOptions, SqliteSynchronous } from './sqlite-options.js';
export { SqliteSnapshotStore } from './sqlite-snapshot-store.js';
