import type * as Sqlite from 'node:sqlite';

/**
 * Loads `node:sqlite` on first use, so importing the package works on Node builds
 * without it; only `SqliteOffsetStore.open` needs it.
 */
export function loadSqlite(): typeof Sqlite {
  const sqlite = process.getBuiltinModule('node:sqlite') as typeof Sqlite | undefined;
  if (sqlite === undefined) throw new Error(`node:sqlite is not available in Node ${process.version}: use Node >= 22.13`);
  return sqlite;
}
