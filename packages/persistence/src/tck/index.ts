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
 *   journal: {
 *     create: () => new MyJournal(tmpDir()),
 *     openSibling: (journal) => new MyJournal((journal as MyJournal).dir),
 *     rejectsPayloadsAbove: 1024 * 1024,
 *   },
 *   snapshotStore: { create: () => new MySnapshotStore(tmpDir()) },
 * });
 */
import type { Journal } from '../journal.js';
import { journalSpec } from './journal-spec.js';
import { querySpec } from './query-spec.js';
import { resumedTagQuerySpec } from './resumed-tag-query-spec.js';
import { singleWriterSpec } from './single-writer-spec.js';
import { snapshotStoreSpec } from './snapshot-store-spec.js';
import type { JournalTckOptions, PersistencePluginTckOptions } from './tck-options.js';
import { twoIncarnationsSpec } from './two-incarnations-spec.js';

export { journalSpec } from './journal-spec.js';
export { measureJournalPerformance, type JournalPerformance, type JournalPerformanceOptions } from './journal-performance.js';
export { querySpec } from './query-spec.js';
export { resumedTagQuerySpec } from './resumed-tag-query-spec.js';
export { singleWriterSpec } from './single-writer-spec.js';
export { snapshotStoreSpec } from './snapshot-store-spec.js';
export type { JournalTckOptions, PersistencePluginTckOptions, SnapshotStoreTckOptions } from './tck-options.js';
export { twoIncarnationsSpec, type TwoIncarnationsOptions } from './two-incarnations-spec.js';

/** Registers every suite that applies: journal, single writer, queries (by declared capability), snapshot store. */
export function persistencePluginTck(options: PersistencePluginTckOptions): void {
  if (typeof options?.name !== 'string' || options.name === '') throw new TypeError('persistencePluginTck: name must be a non-empty string');
  if (options.journal === undefined && options.snapshotStore === undefined) throw new TypeError('persistencePluginTck: give a journal, a snapshotStore, or both');
  if (options.journal !== undefined) {
    journalSpec(options.name, options.journal);
    singleWriterSpec(options.name, options.journal);
    querySpec(options.name, options.journal);
    resumedTagQuerySpec(options.name, options.journal);
    twoIncarnationsSpec(options.name, instancesOf(options.journal));
  }
  if (options.snapshotStore !== undefined) snapshotStoreSpec(options.name, options.snapshotStore);
}

/**
 * The actor-level scenario's journals from the TCK options: a fresh journal first, then
 * siblings of it (or the same instance when the plugin gives no `openSibling`). The first
 * is handed out behind a view whose `close` does nothing, so that the system using it does
 * not close it under the siblings; the TCK releases it after the test.
 */
function instancesOf(options: JournalTckOptions): { openJournal: () => Promise<Journal>; cleanup: () => Promise<void> } {
  let first: Journal | undefined;
  return {
    openJournal: async () => {
      if (first === undefined) {
        first = await options.create();
        return unclosable(first);
      }
      return options.openSibling === undefined ? unclosable(first) : await options.openSibling(first);
    },
    cleanup: async () => {
      const journal = first;
      first = undefined;
      if (journal === undefined) return;
      if (options.destroy !== undefined) await options.destroy(journal);
      else await journal.close?.();
    },
  };
}

function unclosable(journal: Journal): Journal {
  return new Proxy(journal, {
    get(target, property) {
      if (property === 'close') return () => Promise.resolve();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
