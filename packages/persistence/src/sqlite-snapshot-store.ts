import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { openDatabase, toSqlInteger } from './internal/open-database.js';
import { PayloadTooLargeError } from './errors.js';
import type { SnapshotSelectionCriteria, SnapshotStore, StoredSnapshot } from './snapshot-store.js';
import { type ResolvedSqliteOptions, type SqliteOptions, resolveSqliteOptions } from './sqlite-options.js';

interface Row {
  persistence_id: string;
  sequence_nr: number;
  timestamp: number;
  payload: Uint8Array;
  serializer_id: string;
  manifest: string;
}

/** The embedded durable snapshot store: a SQLite file (`node:sqlite`, WAL mode). */
export class SqliteSnapshotStore implements SnapshotStore {
  /** The options in force, defaults applied. */
  readonly options: ResolvedSqliteOptions;
  private readonly db: DatabaseSync;
  private readonly upsert: StatementSync;
  private readonly selectYoungest: StatementSync;
  private readonly deleteOne: StatementSync;
  private readonly deleteMatching: StatementSync;
  private closed = false;

  constructor(options: SqliteOptions = {}) {
    this.options = resolveSqliteOptions('SqliteSnapshotStore', options, '.troupe-data/snapshots.db');
    this.db = openDatabase(this.options);
    this.db.exec(`CREATE TABLE IF NOT EXISTS snapshot (
      persistence_id TEXT NOT NULL, sequence_nr INTEGER NOT NULL, timestamp INTEGER NOT NULL,
      payload BLOB NOT NULL, serializer_id TEXT NOT NULL, manifest TEXT NOT NULL,
      PRIMARY KEY (persistence_id, sequence_nr))`);
    this.upsert = this.db.prepare('INSERT OR REPLACE INTO snapshot (persistence_id, sequence_nr, timestamp, payload, serializer_id, manifest) VALUES (?, ?, ?, ?, ?, ?)');
    const where = 'persistence_id = ? AND sequence_nr <= ? AND sequence_nr >= ? AND timestamp <= ? AND timestamp >= ?';
    this.selectYoungest = this.db.prepare(`SELECT * FROM snapshot WHERE ${where} ORDER BY sequence_nr DESC, timestamp DESC LIMIT 1`);
    this.deleteOne = this.db.prepare('DELETE FROM snapshot WHERE persistence_id = ? AND sequence_nr = ?');
    this.deleteMatching = this.db.prepare(`DELETE FROM snapshot WHERE ${where}`);
  }

  saveSnapshot(s: StoredSnapshot): Promise<void> {
    if (s.payload.byteLength > this.options.maxPayloadBytes) return Promise.reject(new PayloadTooLargeError(s.payload.byteLength, this.options.maxPayloadBytes));
    return attempt(() => {
      this.upsert.run(s.persistenceId, s.sequenceNr, s.timestamp, s.payload, s.serializerId, s.manifest);
    });
  }

  loadSnapshot(persistenceId: string, criteria: SnapshotSelectionCriteria): Promise<StoredSnapshot | undefined> {
    return attempt(() => {
      const row = this.selectYoungest.get(persistenceId, ...bounds(criteria)) as Row | undefined;
      if (row === undefined) return undefined;
      return { persistenceId: row.persistence_id, sequenceNr: row.sequence_nr, timestamp: row.timestamp, payload: row.payload, serializerId: row.serializer_id, manifest: row.manifest };
    });
  }

  deleteSnapshot(persistenceId: string, sequenceNr: number): Promise<void> {
    return attempt(() => {
      this.deleteOne.run(persistenceId, sequenceNr);
    });
  }

  deleteSnapshots(persistenceId: string, criteria: SnapshotSelectionCriteria): Promise<void> {
    return attempt(() => {
      this.deleteMatching.run(persistenceId, ...bounds(criteria));
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.db.close();
    }
    return Promise.resolve();
  }
}

function bounds(c: SnapshotSelectionCriteria): [number, number, number, number] {
  return [toSqlInteger(c.maxSequenceNr), toSqlInteger(c.minSequenceNr), toSqlInteger(c.maxTimestamp), toSqlInteger(c.minTimestamp)];
}

/** Runs a synchronous SQLite call, turning a throw into a rejection (CONVENTIONS 10). */
function attempt<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}
