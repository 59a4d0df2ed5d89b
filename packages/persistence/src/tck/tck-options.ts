import type { Journal } from '../journal.js';
import type { SnapshotStore } from '../snapshot-store.js';

/** How the TCK gets a journal under test, and what that journal can do. */
export interface JournalTckOptions {
  /** A fresh, empty journal (called before every test). */
  readonly create: () => Journal | Promise<Journal>;
  /** Releases it after the test. @default journal.close() */
  readonly destroy?: (journal: Journal) => void | Promise<void>;
  /**
   * The journal rejects (per write, not as a failure) an event whose payload exceeds this
   * many bytes; the TCK uses it to provoke a rejection. Leave out when the journal never
   * rejects; the rejection tests are then skipped.
   */
  readonly rejectsPayloadsAbove?: number;
  /** Size of the "large payload" the journal must round-trip. @default 1 MiB */
  readonly largePayloadBytes?: number;
  /**
   * The most events one atomic write may hold in this configuration (a journal that keeps
   * a write inside one storage partition, e.g. Cassandra's `targetPartitionSize`): the
   * cases that write more at once are skipped, so the rest of the kit can run on small
   * partitions and cross their boundaries. @default Infinity
   */
  readonly largestAtomicWrite?: number;
  /**
   * Closes `journal` and opens a new instance on the same storage (durable journals).
   * When given, the TCK checks that events, deletions and the highest sequence number
   * survive; leave out for in-memory journals.
   */
  readonly reopen?: (journal: Journal) => Journal | Promise<Journal>;
  /**
   * A second, independent instance on the same storage as `journal` — its own connections
   * and caches — as a second process would open it; the TCK closes it. The single-writer
   * cases (two writers of one id, two calls in flight) then run across two instances, as in
   * a split brain. Without it they use `journal` for both writers, which proves less.
   */
  readonly openSibling?: (journal: Journal) => Journal | Promise<Journal>;
}

/** How the TCK gets a snapshot store under test. */
export interface SnapshotStoreTckOptions {
  /** A fresh, empty snapshot store (called before every test). */
  readonly create: () => SnapshotStore | Promise<SnapshotStore>;
  /** Releases it after the test. @default store.close() */
  readonly destroy?: (store: SnapshotStore) => void | Promise<void>;
  /** Size of the "large snapshot" the store must round-trip. @default 1 MiB */
  readonly largePayloadBytes?: number;
  /** Closes `store` and opens a new instance on the same storage; enables the durability test. */
  readonly reopen?: (store: SnapshotStore) => SnapshotStore | Promise<SnapshotStore>;
}

/** Options of `persistencePluginTck`: a name for the suites and the plugins to check. */
export interface PersistencePluginTckOptions {
  /** Shown in the suite names, e.g. `'SqliteJournal'`. */
  readonly name: string;
  readonly journal?: JournalTckOptions;
  readonly snapshotStore?: SnapshotStoreTckOptions;
}
