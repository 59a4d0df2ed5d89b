import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { OffsetStoreError } from './errors.js';
import { loadSqlite } from './internal/load-sqlite.js';
import { SerialQueue } from './internal/serial-queue.js';
import { type TransactionalOffsetStore, checkOffset } from './offset-store.js';
import { type ProjectionId, projectionIdText } from './projection-id.js';

/** Options of `SqliteOffsetStore.open`. */
export interface SqliteOffsetStoreOptions {
  /** Database file (its folder is created), shared with the read model for exactly-once. @default '.troupe-data/projections.db' */
  readonly path?: string;
  /** `normal`: a commit survives a crash of the process; `full`: also a power loss (fsync per commit). @default 'normal' */
  readonly synchronous?: 'normal' | 'full';
  /** How long a statement waits for another connection's lock, in ms. @default 5000 */
  readonly busyTimeoutMs?: number;
  /** Table holding the offsets; created if missing. @default 'projection_offset' */
  readonly tableName?: string;
}

/**
 * Offsets in a SQLite table `(projection_name, projection_key) → offset`, created if
 * missing. It implements `TransactionalOffsetStore<DatabaseSync>`: an exactly-once
 * projection's handler gets this store's connection and writes its read model through
 * it, and the offset is written in the same transaction, one per batch.
 *
 * The connection is the store's: use it for the read model only inside the handler
 * (or through `withTransaction`), because every use is queued so that a transaction
 * spanning an async handler never interleaves with another. Inside a transaction the
 * store's own `readOffset`, `saveOffset` and `clearOffset` run in it (they commit or
 * roll back with it) instead of queueing behind it, and `readOffsetIn(tx, id)` reads
 * synchronously.
 *
 * @example
 * const offsets = SqliteOffsetStore.open({ path: 'data/read-model.db' });
 * offsets.database.exec('CREATE TABLE IF NOT EXISTS balance (account TEXT PRIMARY KEY, cents INTEGER)');
 */
export class SqliteOffsetStore implements TransactionalOffsetStore<DatabaseSync> {
  private readonly queue = new SerialQueue();
  /**
   * The transaction the current async context runs in, if any. A call made inside
   * `withTransaction`'s work would otherwise queue behind that transaction, which waits
   * for the work: a deadlock.
   */
  private readonly transaction = new AsyncLocalStorage<{ open: boolean }>();
  private readonly select: StatementSync;
  private readonly upsert: StatementSync;
  private readonly remove: StatementSync;
  private closed = false;

  private constructor(
    /** The connection, for the read model's schema and reads; see the class doc. */
    readonly database: DatabaseSync,
    tableName: string,
    private readonly ownsDatabase: boolean,
  ) {
    database.exec(`CREATE TABLE IF NOT EXISTS ${tableName} (
      projection_name TEXT NOT NULL,
      projection_key TEXT NOT NULL,
      current_offset INTEGER NOT NULL,
      last_updated INTEGER NOT NULL,
      PRIMARY KEY (projection_name, projection_key)
    ) WITHOUT ROWID`);
    this.select = database.prepare(`SELECT current_offset AS offset_value FROM ${tableName} WHERE projection_name = ? AND projection_key = ?`);
    this.upsert = database.prepare(
      `INSERT INTO ${tableName} (projection_name, projection_key, current_offset, last_updated) VALUES (?, ?, ?, ?)
       ON CONFLICT (projection_name, projection_key) DO UPDATE SET current_offset = excluded.current_offset, last_updated = excluded.last_updated`,
    );
    this.remove = database.prepare(`DELETE FROM ${tableName} WHERE projection_name = ? AND projection_key = ?`);
  }

  /** Opens (creating) a database file in WAL mode. @throws TypeError/RangeError naming a bad option */
  static open(options: SqliteOffsetStoreOptions = {}): SqliteOffsetStore {
    const owner = 'SqliteOffsetStore';
    const path = options.path ?? '.troupe-data/projections.db';
    if (typeof path !== 'string' || path === '') throw new TypeError(`${owner}: path must be a non-empty string`);
    const synchronous = options.synchronous ?? 'normal';
    if (synchronous !== 'normal' && synchronous !== 'full') throw new TypeError(`${owner}: synchronous must be 'normal' or 'full', got ${String(synchronous)}`);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (!(Number.isSafeInteger(busyTimeoutMs) && busyTimeoutMs >= 0)) throw new RangeError(`${owner}: busyTimeoutMs must be an integer >= 0, got ${busyTimeoutMs}`);
    const tableName = checkTableName(owner, options.tableName);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const { DatabaseSync } = loadSqlite();
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    return new SqliteOffsetStore(db, tableName, true);
  }

  /**
   * Keeps offsets in a database the application opened (with its read model); `close`
   * then leaves the connection open. Every use of `database` for the read model must go
   * through `withTransaction` or an exactly-once handler, as with `open`.
   */
  static on(database: DatabaseSync, options: Pick<SqliteOffsetStoreOptions, 'tableName'> = {}): SqliteOffsetStore {
    if (database === null || typeof database !== 'object' || typeof database.prepare !== 'function') throw new TypeError('SqliteOffsetStore.on: database must be a node:sqlite DatabaseSync');
    return new SqliteOffsetStore(database, checkTableName('SqliteOffsetStore.on', options.tableName), false);
  }

  readOffset(id: ProjectionId): Promise<number | undefined> {
    return this.run(() => {
      try {
        const row = this.select.get(id.name, id.key) as { offset_value: number } | undefined;
        return row === undefined ? undefined : Number(row.offset_value);
      } catch (error) {
        throw new OffsetStoreError('readOffset', projectionIdText(id), error);
      }
    });
  }

  saveOffset(id: ProjectionId, offset: number): Promise<void> {
    checkOffset('SqliteOffsetStore.saveOffset', offset);
    return this.run(() => {
      try {
        this.upsert.run(id.name, id.key, offset, Date.now());
      } catch (error) {
        throw new OffsetStoreError('saveOffset', projectionIdText(id), error);
      }
    });
  }

  clearOffset(id: ProjectionId): Promise<void> {
    return this.run(() => {
      try {
        this.remove.run(id.name, id.key);
      } catch (error) {
        throw new OffsetStoreError('clearOffset', projectionIdText(id), error);
      }
    });
  }

  /** @throws TypeError (rejected) when called inside a transaction of this store: use its `tx` */
  withTransaction<T>(work: (tx: DatabaseSync) => T | Promise<T>): Promise<T> {
    if (this.insideTransaction()) return Promise.reject(new TypeError('SqliteOffsetStore.withTransaction: already inside a transaction of this store; use its tx'));
    return this.queue.run(async () => {
      // IMMEDIATE takes the write lock up front, so a commit never fails half-way for a
      // lock another connection took while the handler ran.
      this.database.exec('BEGIN IMMEDIATE');
      const transaction = { open: true };
      try {
        const result = await this.transaction.run(transaction, () => work(this.database));
        transaction.open = false;
        this.database.exec('COMMIT');
        return result;
      } catch (error) {
        transaction.open = false;
        // Also after a failed COMMIT (a full disk): a transaction left open would make
        // every later BEGIN fail.
        if (this.database.isTransaction) this.database.exec('ROLLBACK');
        throw error;
      }
    });
  }

  /**
   * Reads the offset inside the transaction `tx` given to `withTransaction`'s work,
   * seeing what the transaction wrote. @throws TypeError outside that transaction
   */
  readOffsetIn(tx: DatabaseSync, id: ProjectionId): number | undefined {
    this.checkTx('readOffsetIn', tx);
    const row = this.select.get(id.name, id.key) as { offset_value: number } | undefined;
    return row === undefined ? undefined : Number(row.offset_value);
  }

  saveOffsetIn(tx: DatabaseSync, id: ProjectionId, offset: number): void {
    checkOffset('SqliteOffsetStore.saveOffsetIn', offset);
    this.checkTx('saveOffsetIn', tx);
    this.upsert.run(id.name, id.key, offset, Date.now());
  }

  private checkTx(method: string, tx: DatabaseSync): void {
    if (tx !== this.database || !tx.isTransaction) throw new TypeError(`SqliteOffsetStore.${method}: tx must be the connection given to withTransaction, inside it`);
  }

  /** True inside the work of this store's open transaction (not in a callback that outlived it). */
  private insideTransaction(): boolean {
    return this.transaction.getStore()?.open === true;
  }

  /** Runs a use of the connection: at once inside this store's open transaction (part of it), else queued. */
  private run<T>(task: () => T): Promise<T> {
    if (!this.insideTransaction()) return this.queue.run(task);
    try {
      return Promise.resolve(task());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Closes the connection if `open` created it. Idempotent. */
  close(): Promise<void> {
    return this.queue.run(() => {
      if (this.closed) return;
      this.closed = true;
      if (this.ownsDatabase) this.database.close();
    });
  }
}

function checkTableName(owner: string, tableName: string | undefined): string {
  const name = tableName ?? 'projection_offset';
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new TypeError(`${owner}: tableName must be a SQL identifier (letters, digits, _), got ${JSON.stringify(name)}`);
  return name;
}
