import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { persistencePluginTck } from '@troupe/persistence/tck';
import { afterAll } from 'vitest';
import { JsonFileSnapshotStore } from '../src/json-file-snapshot-store.js';
import { JsonLinesJournal } from '../src/json-lines-journal.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-custom-journal-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The whole compliance kit, exactly as a third-party plugin would run it.
persistencePluginTck({
  name: 'JsonLinesJournal',
  journal: {
    create: () => new JsonLinesJournal({ path: join(dir, `journal-${n++}.jsonl`), maxPayloadBytes: 2 * 1024 * 1024 }),
    reopen: async (journal) => {
      await journal.close?.();
      return new JsonLinesJournal((journal as JsonLinesJournal).options);
    },
    // Another instance following the same file, as the single-writer cases need.
    openSibling: (journal) => new JsonLinesJournal((journal as JsonLinesJournal).options),
    rejectsPayloadsAbove: 2 * 1024 * 1024,
  },
  snapshotStore: {
    create: () => new JsonFileSnapshotStore(join(dir, `snapshots-${n++}.json`)),
    reopen: (store) => new JsonFileSnapshotStore((store as JsonFileSnapshotStore).path),
  },
});
