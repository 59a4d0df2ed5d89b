import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { InMemoryJournal, InMemorySnapshotStore, SqliteJournal, SqliteSnapshotStore } from '../src/index.js';
import { persistencePluginTck } from '../src/tck/index.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-tck-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

persistencePluginTck({
  name: 'InMemoryJournal',
  journal: { create: () => new InMemoryJournal({ maxPayloadBytes: 2 * 1024 * 1024, replayPageSize: 100 }), rejectsPayloadsAbove: 2 * 1024 * 1024 },
  snapshotStore: { create: () => new InMemorySnapshotStore() },
});

persistencePluginTck({
  name: 'SqliteJournal',
  journal: {
    create: () => new SqliteJournal({ path: join(dir, `journal-${n++}.db`), maxPayloadBytes: 2 * 1024 * 1024, replayPageSize: 100 }),
    reopen: async (journal) => {
      const { options } = journal as SqliteJournal;
      await journal.close?.();
      return new SqliteJournal(options);
    },
    // A second connection to the same file, as a second process would open.
    openSibling: (journal) => new SqliteJournal((journal as SqliteJournal).options),
    rejectsPayloadsAbove: 2 * 1024 * 1024,
  },
  snapshotStore: {
    create: () => new SqliteSnapshotStore({ path: join(dir, `snapshots-${n++}.db`) }),
    reopen: async (store) => {
      const { options } = store as SqliteSnapshotStore;
      await store.close?.();
      return new SqliteSnapshotStore(options);
    },
  },
});
