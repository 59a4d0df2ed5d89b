import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryJournal, type Journal, SqliteJournal } from '@troupe/persistence';

/** The Troupe journals measured: in process memory, and embedded SQLite under each fsync policy. */
export type JournalKind = 'in-memory' | 'sqlite-normal' | 'sqlite-full';

/** What each kind promises once a write is acknowledged (printed in the results header). */
export const DURABILITY: Readonly<Record<JournalKind, string>> = {
  'in-memory': 'InMemoryJournal: process memory, not durable',
  'sqlite-normal': "SqliteJournal { synchronous: 'normal' } (default): WAL, no fsync per commit; survives a process crash (kill -9), may lose the last commits on power loss",
  'sqlite-full': "SqliteJournal { synchronous: 'full' }: WAL, fsync on every commit (one per group-commit batch); survives power loss",
};

/**
 * Somewhere to keep the events of one benchmark case across systems: `open()` returns
 * a journal over the same stored events each time (the in-memory journal itself, or a
 * new `SqliteJournal` on the same file), so recovery runs read what the fill wrote.
 */
export interface JournalStore {
  readonly kind: JournalKind;
  open(): Journal;
  /** Forgets the stored events (deletes the SQLite file); call it after the journals opened on it are closed. */
  dispose(): Promise<void>;
}

let files = 0;

/** A fresh, empty store of `kind`; SQLite files go to `directory` (see `BenchDirectory`). */
export function freshStore(kind: JournalKind, directory: BenchDirectory): JournalStore {
  if (kind === 'in-memory') {
    const journal = new InMemoryJournal();
    return { kind, open: () => journal, dispose: () => Promise.resolve() };
  }
  const path = directory.file(`journal-${files++}.db`);
  const synchronous = kind === 'sqlite-full' ? 'full' : 'normal';
  return {
    kind,
    open: () => new SqliteJournal({ path, synchronous }),
    dispose: async () => {
      await Promise.all(['', '-wal', '-shm'].map((suffix) => rm(`${path}${suffix}`, { force: true })));
    },
  };
}

/** A temporary directory under `os.tmpdir()` for SQLite files, removed with everything in it by `remove()`. */
export class BenchDirectory {
  private constructor(readonly path: string) {}

  static async create(): Promise<BenchDirectory> {
    return new BenchDirectory(await mkdtemp(join(tmpdir(), 'troupe-bench-persistence-')));
  }

  file(name: string): string {
    return join(this.path, name);
  }

  async remove(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}
