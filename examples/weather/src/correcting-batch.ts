import type { ReadJournal } from '@troupe/persistence';
import { SqliteOffsetStore } from '@troupe/projection';
import { AGGREGATION_PROJECTION_NAME } from './aggregation-projection.js';
import { type Reading, validateReading } from './reading.js';
import { SqliteReadModel } from './sqlite-read-model.js';
import { AGGREGATE_TABLES, type AggregateTable, aggregatesFromReadings, compareAggregates, correctionCounts } from './weather-aggregates.js';
import { WEATHER_TAG, type WeatherStationEvent } from './weather-station.js';

/** Rounds of reading on when the stream moved past what the batch read. */
const MAX_ATTEMPTS = 20;

/** Options of `CorrectingBatch.run`. */
export interface CorrectingBatchOptions {
  /** The journal's queries (`PersistenceQuery.readJournalFor`). */
  readonly readJournal: ReadJournal<WeatherStationEvent>;
  /** The read model's SQLite file (the stream's). */
  readonly readModelPath: string;
  /** Compare and report only; rewrite nothing. @default false */
  readonly dryRun?: boolean;
}

/** What the batch found. */
export interface CorrectionReport {
  /** The journal offset compared at: the stream's stored offset, so both sides saw the same events. */
  readonly atOffset: number;
  /** Readings replayed from the journal up to `atOffset`. */
  readonly readings: number;
  /** Rows recomputed, per table. */
  readonly recomputed: Record<AggregateTable, number>;
  /** Rows of the stream that differed (different, missing or extra), per table. */
  readonly differing: Record<AggregateTable, number>;
  /** The sum of `differing`. */
  readonly totalDiffering: number;
  /** Whether the differing rows were rewritten (not in a dry run, and only if any differed). */
  readonly rewritten: boolean;
}

/**
 * The correcting batch (KillrWeather's "lambda" half, without Spark): replays every
 * weather reading from the journal, recomputes every aggregate with the stream's own
 * math, compares each row exactly with the read model, and rewrites the rows that differ.
 *
 * It compares at the stream's stored offset, inside one write transaction on the read
 * model, so a projection running meanwhile (in this process or another) waits for it
 * instead of moving the read model between the comparison and the rewrite.
 */
export class CorrectingBatch {
  /** Runs the batch once. */
  static async run(options: CorrectingBatchOptions): Promise<CorrectionReport> {
    const journalReadings: { offset: number; reading: Reading }[] = [];
    const readFrom = async (afterOffset: number): Promise<void> => {
      for await (const envelope of options.readJournal.currentEventsByTag(WEATHER_TAG, afterOffset)) {
        const result = validateReading(envelope.event?.reading);
        if (!result.ok) throw new TypeError(`the journal holds an invalid reading at offset ${envelope.offset} (${envelope.persistenceId} #${envelope.sequenceNr}): ${result.reason}`);
        journalReadings.push({ offset: envelope.offset, reading: result.reading });
      }
    };
    const store = SqliteOffsetStore.open({ path: options.readModelPath, busyTimeoutMs: 30_000 });
    try {
      // The journal is read outside the transaction; the transaction itself is synchronous,
      // so it holds the read model's write lock only while it compares and rewrites (a
      // projection in this very process could not otherwise get its turn to commit).
      for (let attempt = 1; ; attempt++) {
        await readFrom(journalReadings.at(-1)?.offset ?? 0);
        const lastRead = journalReadings.at(-1)?.offset ?? 0;
        const report = await store.withTransaction((db) => {
          const readModel = SqliteReadModel.on(db);
          const atOffset = readModel.storedOffset(AGGREGATION_PROJECTION_NAME, `tag:${WEATHER_TAG}`);
          // The stream went past what was read: read on and try again.
          if (atOffset > lastRead) return undefined;
          const readings = journalReadings.filter((r) => r.offset <= atOffset).map((r) => r.reading);
          const expected = aggregatesFromReadings(readings);
          const correction = compareAggregates(expected, readModel.readAggregates());
          const differing = correctionCounts(correction);
          const totalDiffering = AGGREGATE_TABLES.reduce((sum, table) => sum + differing[table], 0);
          const rewritten = options.dryRun !== true && totalDiffering > 0;
          if (rewritten) readModel.correct(correction);
          const recomputed = Object.fromEntries(AGGREGATE_TABLES.map((table) => [table, expected[table].size])) as Record<AggregateTable, number>;
          return { atOffset, readings: readings.length, recomputed, differing, totalDiffering, rewritten };
        });
        if (report !== undefined) return report;
        if (attempt === MAX_ATTEMPTS) throw new Error(`CorrectingBatch: the stream kept moving past the journal read ${MAX_ATTEMPTS} times; pause it and run again`);
      }
    } finally {
      await store.close();
    }
  }
}
