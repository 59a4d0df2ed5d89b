import { readFileSync } from 'node:fs';
import type { AtomicWrite } from '@troupe/persistence';
import { BenchDirectory, type JournalKind, freshStore } from './journal-kinds.js';
import { addedRepr, writeAll } from './stored-events.js';

/**
 * A diagnostic, not part of the benchmark run: how the embedded journal's write cost
 * grows with its size when many ids persist concurrently. 1,000 ids each add one event
 * per round, all ids in one `writeMessages` call (the batch group commit forms with
 * 1,000 actors), through the real `SqliteJournal`; every `segment` rounds it prints the
 * rate and the bytes this process wrote to disk per event (`/proc/self/io`, Linux only).
 * Usage: node dist/persistence/sqlite-growth-probe.js [rounds=200] [normal|full]
 */

const IDS = 1000;
const SEGMENT = 50;

function writtenBytes(): number | undefined {
  try {
    const match = /^write_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 200);
  if (!(Number.isInteger(rounds) && rounds >= SEGMENT)) throw new RangeError(`rounds must be an integer >= ${SEGMENT}, got ${process.argv[2]}`);
  const kind: JournalKind = process.argv[3] === 'full' ? 'sqlite-full' : 'sqlite-normal';
  const directory = await BenchDirectory.create();
  const store = freshStore(kind, directory);
  const journal = store.open();
  try {
    process.stdout.write(`${kind}: ${IDS} ids, one event per id per round, all ids in one writeMessages call\n`);
    let started = performance.now();
    let bytes = writtenBytes();
    for (let round = 1; round <= rounds; round++) {
      const writes: AtomicWrite[] = [];
      for (let i = 0; i < IDS; i++) writes.push({ persistenceId: `counter-${i}`, events: [addedRepr(`counter-${i}`, round)] });
      await writeAll(journal, writes);
      if (round % SEGMENT === 0) {
        const now = performance.now();
        const after = writtenBytes();
        const perEvent = bytes === undefined || after === undefined ? 'n/a' : `${Math.round((after - bytes) / (SEGMENT * IDS)).toLocaleString('en-US')} B`;
        const rate = Math.round((SEGMENT * IDS * 1000) / (now - started)).toLocaleString('en-US');
        process.stdout.write(`rows ${((round - SEGMENT) * IDS).toLocaleString('en-US')}–${(round * IDS).toLocaleString('en-US')}: ${rate} events/s, ${perEvent} written to disk per event\n`);
        started = now;
        bytes = after;
      }
    }
  } finally {
    await journal.close?.();
    await directory.remove();
  }
}

await main();
