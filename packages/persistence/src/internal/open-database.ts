import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { ResolvedSqliteOptions } from '../sqlite-options.js';
import { loadSqlite } from './load-sqlite.js';

/** Opens (creating the folder) a SQLite database in WAL mode with the chosen durability. */
export function openDatabase(options: ResolvedSqliteOptions): DatabaseSync {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const { DatabaseSync } = loadSqlite();
  const db = new DatabaseSync(options.path);
  db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs}`);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  // With many actors per commit each event dirties its own index page; the default 2 MiB
  // cache and 1,000-page checkpoints made throughput fall ~5x as the table grew (measured
  // in bench/src/persistence). 64 MiB of cache and 10,000-page checkpoints keep it level;
  // the cost is a WAL of up to ~40 MiB to replay when the file is opened after a crash.
  db.exec('PRAGMA cache_size = -65536');
  db.exec('PRAGMA wal_autocheckpoint = 10000');
  return db;
}

/** SQLite integers are 64-bit but we keep them in JS numbers; Infinity becomes the largest safe one. */
export function toSqlInteger(value: number): number {
  return value === Infinity ? Number.MAX_SAFE_INTEGER : value;
}
