import { InMemoryJournal, type InMemoryJournalOptions } from './in-memory-journal.js';
import { InMemorySnapshotStore, type InMemorySnapshotStoreOptions } from './in-memory-snapshot-store.js';
import type { Journal } from './journal.js';
import type { SnapshotStore } from './snapshot-store.js';
import { SqliteJournal } from './sqlite-journal.js';
import type { SqliteOptions } from './sqlite-options.js';
import { SqliteSnapshotStore } from './sqlite-snapshot-store.js';

/** Builds a journal from plugin options (registered under a name). */
export type JournalPluginFactory = (options: unknown) => Journal | Promise<Journal>;
/** Builds a snapshot store from plugin options (registered under a name). */
export type SnapshotStorePluginFactory = (options: unknown) => SnapshotStore | Promise<SnapshotStore>;

const journalPlugins = new Map<string, JournalPluginFactory>([
  ['in-memory', (options) => new InMemoryJournal((options ?? {}) as InMemoryJournalOptions)],
  ['sqlite', (options) => new SqliteJournal((options ?? {}) as SqliteOptions)],
]);

const snapshotStorePlugins = new Map<string, SnapshotStorePluginFactory>([
  ['in-memory', (options) => new InMemorySnapshotStore((options ?? {}) as InMemorySnapshotStoreOptions)],
  ['sqlite', (options) => new SqliteSnapshotStore((options ?? {}) as SqliteOptions)],
]);

/**
 * Named plugin factories, so settings can say `{ plugin: 'sqlite', options: {...} }`.
 * Built in: `in-memory` and `sqlite`. A plugin package registers its own name on import.
 */
export const PersistencePlugins = {
  /** Registers (or replaces) a journal plugin under `name`. */
  registerJournal(name: string, factory: JournalPluginFactory): void {
    checkName(name, factory);
    journalPlugins.set(name, factory);
  },
  /** Registers (or replaces) a snapshot-store plugin under `name`. */
  registerSnapshotStore(name: string, factory: SnapshotStorePluginFactory): void {
    checkName(name, factory);
    snapshotStorePlugins.set(name, factory);
  },
  /** The journal factory registered as `name`, if any. */
  journal(name: string): JournalPluginFactory | undefined {
    return journalPlugins.get(name);
  },
  /** The snapshot-store factory registered as `name`, if any. */
  snapshotStore(name: string): SnapshotStorePluginFactory | undefined {
    return snapshotStorePlugins.get(name);
  },
  /** Names of the registered journal plugins. */
  journalNames(): string[] {
    return [...journalPlugins.keys()];
  },
  /** Names of the registered snapshot-store plugins. */
  snapshotStoreNames(): string[] {
    return [...snapshotStorePlugins.keys()];
  },
};

function checkName(name: string, factory: unknown): void {
  if (typeof name !== 'string' || name === '') throw new TypeError('PersistencePlugins: name must be a non-empty string');
  if (typeof factory !== 'function') throw new TypeError(`PersistencePlugins: factory for "${name}" must be a function`);
}
