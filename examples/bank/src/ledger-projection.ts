import type { ActorSystem } from '@troupe/core';
import type { ReadJournal } from '@troupe/persistence';
import { EventsByTagSource, Projection, SqliteOffsetStore } from '@troupe/projection';
import { type AccountEvent, BANK_TAG } from './account.js';

/** What the ledger read model holds. */
export interface Ledger {
  /** Money in the bank, in cents, according to the events applied. */
  readonly total: number;
  /** Events applied over every run. */
  readonly events: number;
}

/**
 * A read model built from the journal alone: the total money in the bank, kept in its own
 * SQLite file by an exactly-once projection over the live `eventsByTag('bank')` stream.
 * Each batch's increments and its offset commit in one transaction, so the non-idempotent
 * `total = total + …` is never applied twice, and a new run resumes after the stored offset.
 */
export class LedgerProjection {
  private constructor(
    private readonly offsets: SqliteOffsetStore,
    /** The running projection: status, pause, resume, offsets. */
    readonly projection: Projection<AccountEvent>,
    /** The journal offset this run resumed after (0 on the first run). */
    readonly resumedAfter: number,
  ) {}

  /** Opens (creating) the read model at `path` and starts following the journal from its stored offset. */
  static async start(system: ActorSystem, queries: ReadJournal<AccountEvent>, path: string): Promise<LedgerProjection> {
    const offsets = SqliteOffsetStore.open({ path });
    offsets.database.exec('CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY CHECK (id = 1), total INTEGER NOT NULL, events INTEGER NOT NULL)');
    offsets.database.exec('INSERT OR IGNORE INTO ledger (id, total, events) VALUES (1, 0, 0)');
    const apply = offsets.database.prepare('UPDATE ledger SET total = total + ?, events = events + ? WHERE id = 1');
    const source = EventsByTagSource.create(queries, BANK_TAG);
    const resumedAfter = (await offsets.readOffset({ name: 'ledger', key: source.key })) ?? 0;
    const projection = Projection.exactlyOnce({
      name: 'ledger',
      source,
      offsetStore: offsets,
      system,
      groupAfterEnvelopes: 1_000,
      groupAfterMs: 20,
      handler: (batch) => {
        let change = 0;
        for (const { event } of batch) change += event.type === 'deposited' ? event.amount : -event.amount;
        apply.run(change, batch.length);
      },
    }).start();
    return new LedgerProjection(offsets, projection, resumedAfter);
  }

  /** The read model as committed. */
  read(): Promise<Ledger> {
    // Through the store's queue, so the read never lands inside a batch's open transaction.
    return this.offsets.withTransaction((db) => db.prepare('SELECT total, events FROM ledger WHERE id = 1').get() as unknown as Ledger);
  }

  /** Resolves once every event up to journal offset `offset` is applied and committed. */
  async caughtUpTo(offset: number, deadlineMs = 30_000): Promise<void> {
    const deadline = performance.now() + deadlineMs;
    while ((this.projection.status().storedOffset ?? 0) < offset) {
      const { state, lastError } = this.projection.status();
      if (state === 'failed') throw lastError ?? new Error('ledger projection failed');
      if (performance.now() > deadline) throw new Error(`ledger projection reached offset ${this.projection.status().storedOffset ?? 0} of ${offset}`);
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
    }
  }

  async stop(): Promise<void> {
    await this.projection.stop();
    await this.offsets.close();
  }
}
