/**
 * The compliance kit's performance section on `JsonLinesJournal`: 10,000 events written
 * to one persistence id in order, one awaited write at a time, then replayed. Prints a
 * table and one JSON line.
 *
 *   npm run bench                 10,000 events
 *   npm run bench -- 50000        another count
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureJournalPerformance } from '@troupe/persistence/tck';
import { JsonLinesJournal } from './json-lines-journal.js';

const events = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'troupe-json-lines-bench-'));
try {
  const rows: Record<string, string | number>[] = [];
  for (const fsync of [false, true]) {
    const journal = new JsonLinesJournal({ path: join(dir, `journal-${fsync ? 'fsync' : 'nofsync'}.jsonl`), fsync });
    try {
      const perf = await measureJournalPerformance(journal, { events });
      rows.push({ journal: `JsonLinesJournal fsync=${fsync}`, events, 'write events/s': Math.round(perf.writeEventsPerSec), 'replay events/s': Math.round(perf.replayEventsPerSec) });
    } finally {
      await journal.close();
    }
  }
  console.table(rows);
  console.log(JSON.stringify({ bench: 'custom-journal', results: rows }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
