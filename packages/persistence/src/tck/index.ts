/**
 * `@troupe/persistence/tck`: the compliance kit for journal and snapshot-store plugins.
 * Call `persistencePluginTck` at the top level of a vitest test file; it registers the
 * suites. Requires `vitest` (a peer dependency of this entry point only).
 *
 * @example
 * // my-journal.test.ts
 * import { persistencePluginTck } from '@troupe/persistence/tck';
 * persistencePluginTck({
 *   name: 'MyJournal',
 *   journal: { create: () => new MyJournal(tmpDir()), rejectsPayloadsAbove: 1024 * 1024 },
 *   snapshotStore: { create: () => new MySnapshotStore(tmpDir()) },
 * });
 */
import { journalSpec } from './journal-spec.js';
import { querySpec } from './query-spec.js';
import { snapshotStoreSpec } from './snapshot-store-spec.js';
import type { PersistencePluginTckOptions } from './tck-options.js';

export { journalSpec } from './journal-spec.js';
export { querySpec } from './query-spec.js';
export { snapshotStoreSpec } from './snapshot-store-spec.js';
export type { JournalTckOptions, PersistencePluginTckOptions, SnapshotStoreTckOptions } from './tck-options.js';

/** Registers every suite that applies: journal, queries (by declared capability), snapshot store. */
export function persistencePluginTck(options: PersistencePluginTckOptions): void {
  if (typeof options?.name !== 'string' || options.name === '') throw new TypeError('persistencePluginTck: name must be a non-empty string');
  if (options.journal === undefined && options.snapshotStore === undefined) throw new TypeError('persistencePluginTck: give a journal, a snapshotStore, or both');
  if (options.journal !== undefined) {
    journalSpec(options.name, options.journal);
    querySpec(options.name, options.journal);
  }
  if (options.snapshotStore !== undefined) snapshotStoreSpec(options.name, options.snapshotStore);
}
