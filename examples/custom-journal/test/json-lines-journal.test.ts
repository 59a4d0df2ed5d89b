import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { persistencePluginTck } from '@troupe/persistence/tck';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonFileSnapshotStore } from '../src/json-file-snapshot-store.js';
import { JournalFileConflictError, JsonLinesJournal } from '../src/json-lines-journal.js';

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

describe('JsonLinesJournal file conflicts', () => {
  it('refuses to load a file where two processes stored one sequence number, instead of hiding one of them', async () => {
    const path = join(dir, `conflict-${n++}.jsonl`);
    const journal = new JsonLinesJournal({ path });
    const event = { persistenceId: 'acc', sequenceNr: 1, serializerId: 'json', manifest: '', eventManifest: '', tags: [], timestamp: 0 };
    expect(await journal.writeMessages([{ persistenceId: 'acc', events: [{ ...event, payload: new TextEncoder().encode('first'), writerUuid: 'a' }] }])).toEqual([undefined]);
    await journal.close();
    // What a second process that checked before the first appended would have added: both were acknowledged.
    appendFileSync(path, `${JSON.stringify({ op: 'write', events: [{ ...event, payload: Buffer.from('second').toString('base64'), writerUuid: 'b' }] })}\n`);
    let thrown: unknown;
    try {
      new JsonLinesJournal({ path });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(JournalFileConflictError);
    expect((thrown as JournalFileConflictError).code).toBe('ERR_JOURNAL_FILE_CONFLICT');
    expect((thrown as Error).message).toContain('"acc" from 1');
  });
});
