import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Sqlite from 'node:sqlite';
import type { EventEnvelope } from '@troupe/persistence';
import { IterableSource, Projection, SqliteOffsetStore } from '@troupe/projection';
import { type SyntheticReading, envelopesAfter } from './synthetic-events.js';

/**
 * A read model in SQLite (`synchronous = NORMAL`, WAL) written in batches: one transaction
 * of upserts keyed by (station, hour) per batch. Offsets live in another file, written
 * after each batch: at-least-once, the sink is idempotent.
 */
class SqliteReadingSink {
  private readonly upsert: Sqlite.StatementSync;

  constructor(readonly db: Sqlite.DatabaseSync) {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
    db.exec('CREATE TABLE IF NOT EXISTS reading (station TEXT NOT NULL, hour INTEGER NOT NULL, temperature REAL NOT NULL, PRIMARY KEY (station, hour)) WITHOUT ROWID');
    this.upsert = db.prepare('INSERT INTO reading VALUES (?, ?, ?) ON CONFLICT (station, hour) DO UPDATE SET temperature = excluded.temperature');
  }

  write(batch: readonly EventEnvelope<SyntheticReading>[]): void {
    this.db.exec('BEGIN');
    try {
      for (const { event } of batch) this.upsert.run(event.station, event.hour, event.temperature);
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }
}

function openDatabase(path: string): Sqlite.DatabaseSync {
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof Sqlite;
  return new DatabaseSync(path);
}

/** Events/s of `Projection.grouped` over the envelopes into the SQLite sink, offsets in `SqliteOffsetStore`. */
export async function sqliteProjection(envelopes: readonly EventEnvelope<SyntheticReading>[], batchSize: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-projection-sqlite-'));
  const sink = new SqliteReadingSink(openDatabase(join(dir, 'read-model.db')));
  const offsets = SqliteOffsetStore.open({ path: join(dir, 'offsets.db') });
  try {
    const started = performance.now();
    const projection = Projection.grouped<SyntheticReading>({
      name: 'bench',
      source: IterableSource.create('bench', (after) => envelopesAfter(envelopes, after)),
      offsetStore: offsets,
      groupAfterEnvelopes: batchSize,
      groupAfterMs: 50,
      handler: (batch) => sink.write(batch),
    }).start();
    await projection.done;
    const seconds = (performance.now() - started) / 1000;
    if (projection.status().storedOffset !== envelopes.length) throw new Error(`sqlite projection stored ${projection.status().storedOffset}, expected ${envelopes.length}`);
    return envelopes.length / seconds;
  } finally {
    await offsets.close();
    sink.db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Events/s of a plain loop over the same source: batches of `batchSize`, the same sink, the same offset upsert after each batch. */
export async function sqliteRaw(envelopes: readonly EventEnvelope<SyntheticReading>[], batchSize: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-projection-sqlite-raw-'));
  const sink = new SqliteReadingSink(openDatabase(join(dir, 'read-model.db')));
  const offsetsDb = openDatabase(join(dir, 'offsets.db'));
  try {
    offsetsDb.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
    offsetsDb.exec(
      'CREATE TABLE IF NOT EXISTS projection_offset (projection_name TEXT NOT NULL, projection_key TEXT NOT NULL, current_offset INTEGER NOT NULL, last_updated INTEGER NOT NULL, PRIMARY KEY (projection_name, projection_key)) WITHOUT ROWID',
    );
    const save = offsetsDb.prepare(
      'INSERT INTO projection_offset VALUES (?, ?, ?, ?) ON CONFLICT (projection_name, projection_key) DO UPDATE SET current_offset = excluded.current_offset, last_updated = excluded.last_updated',
    );
    const started = performance.now();
    let batch: EventEnvelope<SyntheticReading>[] = [];
    const flush = (): void => {
      sink.write(batch);
      save.run('bench', 'bench', (batch.at(-1) as EventEnvelope<SyntheticReading>).offset, Date.now());
      batch = [];
    };
    for await (const envelope of envelopesAfter(envelopes, 0)) {
      batch.push(envelope);
      if (batch.length === batchSize) flush();
    }
    if (batch.length > 0) flush();
    return envelopes.length / ((performance.now() - started) / 1000);
  } finally {
    offsetsDb.close();
    sink.db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
