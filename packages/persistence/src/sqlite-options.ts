import { checkPositiveInteger } from './internal/check-positive-integer.js';

/** How hard SQLite works to make a commit durable (PRAGMA synchronous, in WAL mode). */
export type SqliteSynchronous = 'normal' | 'full';

/** Options of `SqliteJournal` and `SqliteSnapshotStore`. */
export interface SqliteOptions {
  /** Database file; its folder is created. `':memory:'` for a throw-away database. @default '.troupe-data/journal.db' (journal), '.troupe-data/snapshots.db' (snapshots) */
  readonly path?: string;
  /**
   * `normal` (default): a commit is in the WAL file (the OS page cache) when the write is
   * acknowledged, so it survives `kill -9` and any crash of the process, but the last
   * commits can be lost if the machine loses power. `full`: every commit is fsync'ed, which
   * also survives power loss at roughly 10–50× the cost per batch (group commit amortises it).
   * @default 'normal'
   */
  readonly synchronous?: SqliteSynchronous;
  /** Payloads above this size are rejected. @default 16 MiB */
  readonly maxPayloadBytes?: number;
  /** Events per page of a replay. @default 2048 */
  readonly replayPageSize?: number;
  /** How long a statement waits for another connection's lock, in ms. @default 5000 */
  readonly busyTimeoutMs?: number;
}

/** SQLite options with defaults applied and checked. */
export interface ResolvedSqliteOptions {
  readonly path: string;
  readonly synchronous: SqliteSynchronous;
  readonly maxPayloadBytes: number;
  readonly replayPageSize: number;
  readonly busyTimeoutMs: number;
}

/** Applies the defaults and checks every field, naming the bad one. */
export function resolveSqliteOptions(owner: string, options: SqliteOptions, defaultPath: string): ResolvedSqliteOptions {
  const path = options.path ?? defaultPath;
  if (typeof path !== 'string' || path === '') throw new TypeError(`${owner}: path must be a non-empty string`);
  const synchronous = options.synchronous ?? 'normal';
  if (synchronous !== 'normal' && synchronous !== 'full') throw new TypeError(`${owner}: synchronous must be 'normal' or 'full', got ${String(synchronous)}`);
  return {
    path,
    synchronous,
    maxPayloadBytes: checkPositiveInteger(owner, 'maxPayloadBytes', options.maxPayloadBytes ?? 16 * 1024 * 1024),
    replayPageSize: checkPositiveInteger(owner, 'replayPageSize', options.replayPageSize ?? 2048),
    busyTimeoutMs: checkPositiveInteger(owner, 'busyTimeoutMs', options.busyTimeoutMs ?? 5000),
  };
}
