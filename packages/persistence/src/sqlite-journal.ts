import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { openDatabase, toSqlInteger } from './internal/open-database.js';
import { type Journal, type JournalCapabilities, type OrderedPersistenceId, type OrderedRepr, type ReplayRange, checkReplayRange } from './journal.js';
import { JournalListeners } from './journal-listeners.js';
import { PayloadTooLargeError, SequenceNumberTakenError, WriterFencedError } from './errors.js';
import type { AtomicWrite, PersistentRepr } from './persistent-repr.js';
import { type ResolvedSqliteOptions, type SqliteOptions, resolveSqliteOptions } from './sqlite-options.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS journal (
  ordering INTEGER PRIMARY KEY AUTOINCREMENT,
  persistence_id TEXT NOT NULL,
  sequence_nr INTEGER NOT NULL,
  payload BLOB NOT NULL,
  serializer_id TEXT NOT NULL,
  manifest TEXT NOT NULL,
  event_manifest TEXT NOT NULL,
  tags TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  writer_uuid TEXT NOT NULL,
  UNIQUE (persistence_id, sequence_nr)
);
CREATE TABLE IF NOT EXISTS event_tag (
  tag TEXT NOT NULL,
  ordering INTEGER NOT NULL,
  PRIMARY KEY (tag, ordering)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS persistence_id (
  id_offset INTEGER PRIMARY KEY AUTOINCREMENT,
  persistence_id TEXT NOT NULL UNIQUE,
  highest_sequence_nr INTEGER NOT NULL,
  deleted_to INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS writer (
  persistence_id TEXT PRIMARY KEY,
  writer_uuid TEXT NOT NULL
) WITHOUT ROWID;
`;

interface Row {
  ordering: number;
  persistence_id: string;
  sequence_nr: number;
  payload: Uint8Array;
  serializer_id: string;
  manifest: string;
  event_manifest: string;
  tags: string;
  timestamp: number;
  writer_uuid: string;
}

/**
 * The embedded durable journal: one SQLite file (`node:sqlite`, WAL mode), no server.
 * A batch of atomic writes is one transaction (group commit); an acknowledged write
 * survives `kill -9` (see `SqliteOptions.synchronous` for power loss). Supports every
 * query; live queries are woken by writes of this process and poll for others.
 *
 * node:sqlite is synchronous: a commit blocks the event loop for its duration (microseconds
 * with `synchronous: 'normal'`, an fsync with `'full'`), once per batch, not per event.
 */
export class SqliteJournal implements Journal {
  readonly capabilities: JournalCapabilities = { persistenceIdsQuery: true, eventsByTagQuery: true, changeNotifications: true, highestOffsetOfTagQuery: true };
  /** The options in force, defaults applied. */
  readonly options: ResolvedSqliteOptions;
  private readonly db: DatabaseSync;
  private readonly listeners = new JournalListeners();
  private readonly insertEvent: StatementSync;
  private readonly insertTag: StatementSync;
  private readonly upsertId: StatementSync;
  private readonly upsertWriter: StatementSync;
  private readonly selectOwnership: StatementSync;
  private readonly selectPage: StatementSync;
  private readonly selectHighest: StatementSync;
  private readonly selectIds: StatementSync;
  private readonly selectTagged: StatementSync;
  private readonly selectHighestTagged: StatementSync;
  private readonly markDeleted: StatementSync;
  private readonly deleteTags: StatementSync;
  private readonly deleteEvents: StatementSync;
  private readonly selectDataVersion: StatementSync;
  /**
   * Highest number and claimed writer per id as this connection last saw them, so the
   * single-writer checks cost no query on the hot path. Valid only while no other
   * connection has committed: `PRAGMA data_version` (read once per write transaction,
   * under the write lock) changes exactly then, and the cache is dropped.
   */
  private readonly ownership = new Map<string, Ownership>();
  private dataVersion = -1;
  private closed = false;

  constructor(options: SqliteOptions = {}) {
    this.options = resolveSqliteOptions('SqliteJournal', options, '.troupe-data/journal.db');
    this.db = openDatabase(this.options);
    this.db.exec(SCHEMA);
    const db = this.db;
    this.insertEvent = db.prepare(
      'INSERT INTO journal (persistence_id, sequence_nr, payload, serializer_id, manifest, event_manifest, tags, timestamp, writer_uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertTag = db.prepare('INSERT INTO event_tag (tag, ordering) VALUES (?, ?)');
    this.upsertId = db.prepare(
      'INSERT INTO persistence_id (persistence_id, highest_sequence_nr) VALUES (?, ?) ON CONFLICT (persistence_id) DO UPDATE SET highest_sequence_nr = max(highest_sequence_nr, excluded.highest_sequence_nr)',
    );
    this.upsertWriter = db.prepare('INSERT INTO writer (persistence_id, writer_uuid) VALUES (?, ?) ON CONFLICT (persistence_id) DO UPDATE SET writer_uuid = excluded.writer_uuid');
    this.selectOwnership = db.prepare(
      'SELECT (SELECT highest_sequence_nr FROM persistence_id WHERE persistence_id = ?1) AS highest, (SELECT writer_uuid FROM writer WHERE persistence_id = ?1) AS writer',
    );
    this.selectPage = db.prepare('SELECT * FROM journal WHERE persistence_id = ? AND sequence_nr >= ? AND sequence_nr <= ? ORDER BY sequence_nr LIMIT ?');
    this.selectHighest = db.prepare('SELECT highest_sequence_nr AS highest FROM persistence_id WHERE persistence_id = ?');
    this.selectIds = db.prepare('SELECT id_offset, persistence_id FROM persistence_id WHERE id_offset > ? ORDER BY id_offset LIMIT ?');
    this.selectTagged = db.prepare('SELECT j.* FROM event_tag t JOIN journal j ON j.ordering = t.ordering WHERE t.tag = ? AND t.ordering > ? ORDER BY t.ordering LIMIT ?');
    // The (tag, ordering) primary key answers max() with one index seek.
    this.selectHighestTagged = db.prepare('SELECT max(ordering) AS highest FROM event_tag WHERE tag = ?');
    this.markDeleted = db.prepare('UPDATE persistence_id SET deleted_to = max(deleted_to, min(?, highest_sequence_nr)) WHERE persistence_id = ?');
    this.deleteTags = db.prepare('DELETE FROM event_tag WHERE ordering IN (SELECT ordering FROM journal WHERE persistence_id = ? AND sequence_nr <= ?)');
    this.deleteEvents = db.prepare('DELETE FROM journal WHERE persistence_id = ? AND sequence_nr <= ?');
    this.selectDataVersion = db.prepare('PRAGMA data_version');
  }

  writeMessages(writes: readonly AtomicWrite[]): Promise<readonly (Error | undefined)[]> {
    if (writes.length === 0) return Promise.resolve([]);
    try {
      const results: (Error | undefined)[] = new Array(writes.length).fill(undefined);
      // Fast path: the whole batch in one transaction. If any write fails inside SQLite,
      // redo the batch with a savepoint per write so only that write is rejected.
      // BEGIN IMMEDIATE takes the database's write lock before the single-writer checks,
      // so another connection (another process) cannot write between check and insert.
      try {
        this.db.exec('BEGIN IMMEDIATE');
        this.validateOwnership();
        for (let i = 0; i < writes.length; i++) {
          const write = writes[i] as AtomicWrite;
          const refusal = this.refusal(write);
          if (refusal === undefined) this.insert(write);
          else results[i] = refusal;
        }
        this.db.exec('COMMIT');
      } catch (error) {
        this.rollbackQuietly();
        if (!isConstraintError(error)) throw error;
        // Every check runs again inside the new transaction.
        results.fill(undefined);
        this.writeOneByOne(writes, results);
      }
      this.listeners.notify();
      return Promise.resolve(results);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async *replayMessages(persistenceId: string, range: ReplayRange): AsyncIterable<readonly PersistentRepr[]> {
    checkReplayRange(range);
    let from = range.fromSequenceNr;
    let remaining = range.max;
    const to = toSqlInteger(range.toSequenceNr);
    while (remaining > 0 && from <= to) {
      const limit = Math.min(this.options.replayPageSize, remaining);
      const rows = this.selectPage.all(persistenceId, from, to, limit) as unknown as Row[];
      if (rows.length === 0) return;
      const page = rows.map(toRepr);
      remaining -= page.length;
      from = (page[page.length - 1] as PersistentRepr).sequenceNr + 1;
      yield page;
      if (rows.length < limit) return;
    }
  }

  claimWriter(persistenceId: string, writerUuid: string): Promise<void> {
    try {
      // One statement commits on its own: durable like a write, and ordered with writes by
      // SQLite's write lock, so a write that commits after the claim sees it.
      this.upsertWriter.run(persistenceId, writerUuid);
      const known = this.ownership.get(persistenceId);
      if (known !== undefined) known.writer = writerUuid;
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  readHighestSequenceNr(persistenceId: string, _fromSequenceNr = 1): Promise<number> {
    try {
      const row = this.selectHighest.get(persistenceId) as { highest: number } | undefined;
      return Promise.resolve(row?.highest ?? 0);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  deleteMessagesTo(persistenceId: string, toSequenceNr: number): Promise<void> {
    try {
      const to = toSqlInteger(toSequenceNr);
      this.db.exec('BEGIN IMMEDIATE');
      try {
        this.markDeleted.run(to, persistenceId);
        this.deleteTags.run(persistenceId, to);
        this.deleteEvents.run(persistenceId, to);
        this.db.exec('COMMIT');
      } catch (error) {
        this.rollbackQuietly();
        throw error;
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  currentPersistenceIds(afterOffset: number, limit: number): Promise<readonly OrderedPersistenceId[]> {
    try {
      const rows = this.selectIds.all(afterOffset, toSqlInteger(limit)) as unknown as { id_offset: number; persistence_id: string }[];
      return Promise.resolve(rows.map((r) => ({ offset: r.id_offset, persistenceId: r.persistence_id })));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  currentHighestOffsetOfTag(tag: string): Promise<number> {
    try {
      const row = this.selectHighestTagged.get(tag) as { highest: number | null } | undefined;
      return Promise.resolve(Number(row?.highest ?? 0));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  currentEventsByTag(tag: string, afterOffset: number, limit: number): Promise<readonly OrderedRepr[]> {
    try {
      const rows = this.selectTagged.all(tag, afterOffset, toSqlInteger(limit)) as unknown as Row[];
      return Promise.resolve(rows.map((row) => ({ offset: row.ordering, repr: toRepr(row) })));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  subscribe(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.listeners.clear();
      this.db.close();
    }
    return Promise.resolve();
  }

  /**
   * Why `write` must be refused, checked inside the write transaction: a fenced writer
   * first (it wins over every other refusal, so the stale actor stops), then a taken
   * number, then the size limit.
   */
  private refusal(write: AtomicWrite): Error | undefined {
    const first = write.events[0];
    if (first === undefined) return undefined;
    const { highest, writer } = this.ownershipOf(write.persistenceId);
    if (writer !== null) {
      for (const event of write.events) if (event.writerUuid !== writer) return new WriterFencedError(write.persistenceId, event.writerUuid);
    }
    if (first.sequenceNr <= highest) return new SequenceNumberTakenError(write.persistenceId, first.sequenceNr, highest);
    for (const event of write.events) {
      if (event.payload.byteLength > this.options.maxPayloadBytes) return new PayloadTooLargeError(event.payload.byteLength, this.options.maxPayloadBytes);
    }
    return undefined;
  }

  /** Drops the cached ownership if another connection has committed since it was read; call under the write lock. */
  private validateOwnership(): void {
    const version = (this.selectDataVersion.get() as { data_version: number }).data_version;
    if (version !== this.dataVersion || this.ownership.size > MAX_CACHED_IDS) {
      this.ownership.clear();
      this.dataVersion = version;
    }
  }

  private ownershipOf(persistenceId: string): Ownership {
    let known = this.ownership.get(persistenceId);
    if (known === undefined) {
      const row = this.selectOwnership.get(persistenceId) as { highest: number | null; writer: string | null };
      known = { highest: row.highest ?? 0, writer: row.writer };
      this.ownership.set(persistenceId, known);
    }
    return known;
  }

  private insert(write: AtomicWrite): void {
    let highest = 0;
    for (const e of write.events) {
      const tags = e.tags.length === 0 ? '' : JSON.stringify(e.tags);
      const { lastInsertRowid } = this.insertEvent.run(e.persistenceId, e.sequenceNr, e.payload, e.serializerId, e.manifest, e.eventManifest, tags, e.timestamp, e.writerUuid);
      for (const tag of e.tags) this.insertTag.run(tag, lastInsertRowid);
      if (e.sequenceNr > highest) highest = e.sequenceNr;
    }
    this.upsertId.run(write.persistenceId, highest);
    // Stored as far as this transaction goes; a rollback drops the whole cache.
    const known = this.ownership.get(write.persistenceId);
    if (known !== undefined && highest > known.highest) known.highest = highest;
  }

  private writeOneByOne(writes: readonly AtomicWrite[], results: (Error | undefined)[]): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.validateOwnership();
      writes.forEach((write, i) => {
        if (results[i] !== undefined) return;
        const refusal = this.refusal(write);
        if (refusal !== undefined) {
          results[i] = refusal;
          return;
        }
        this.db.exec('SAVEPOINT atomic_write');
        try {
          this.insert(write);
          this.db.exec('RELEASE atomic_write');
        } catch (error) {
          if (!isConstraintError(error)) throw error;
          this.db.exec('ROLLBACK TO atomic_write');
          this.db.exec('RELEASE atomic_write');
          results[i] = error instanceof Error ? error : new Error(String(error));
        }
      });
      this.db.exec('COMMIT');
    } catch (error) {
      this.rollbackQuietly();
      throw error;
    }
  }

  private rollbackQuietly(): void {
    // The cache may hold numbers of writes being rolled back.
    this.ownership.clear();
    try {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
    } catch {
      // Nothing to roll back (SQLite may have rolled back already).
    }
  }
}

/** What the single-writer checks need of one id. */
interface Ownership {
  highest: number;
  writer: string | null;
}

/** Beyond this many ids the ownership cache starts over (bounds memory with many ids). */
const MAX_CACHED_IDS = 100_000;

/** A constraint violation rejects one write; anything else is a failure. */
function isConstraintError(error: unknown): boolean {
  return error instanceof Error && /constraint/i.test(error.message);
}

function toRepr(row: Row): PersistentRepr {
  return {
    persistenceId: row.persistence_id,
    sequenceNr: row.sequence_nr,
    payload: row.payload,
    serializerId: row.serializer_id,
    manifest: row.manifest,
    eventManifest: row.event_manifest,
    tags: row.tags === '' ? [] : (JSON.parse(row.tags) as string[]),
    timestamp: row.timestamp,
    writerUuid: row.writer_uuid,
  };
}
