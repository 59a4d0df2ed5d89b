import type { OffsetStore, SourceProvider } from '@troupe/projection';
import { AGGREGATION_PROJECTION_NAME, decodeWeatherEvent } from './aggregation-projection.js';
import type { CassandraReadModel } from './cassandra-read-model.js';
import type { CorrectionReport } from './correcting-batch.js';
import type { Reading } from './reading.js';
import { AGGREGATE_TABLES, type AggregateTable, aggregatesFromReadings, compareAggregates, correctionCounts } from './weather-aggregates.js';
import type { WeatherStationEvent } from './weather-station.js';

/** Rounds of reading again when the stream moved while the batch compared. */
const MAX_ATTEMPTS = 20;

/** Options of `CassandraCorrectingBatch.run`. */
export interface CassandraCorrectingBatchOptions {
  /** The stream's source (the weather event topic): the batch replays it from the start. */
  readonly source: SourceProvider<WeatherStationEvent>;
  /** The stream's offset store: the batch compares at the offset stored there. */
  readonly offsetStore: OffsetStore;
  readonly readModel: CassandraReadModel;
  /** Compare and report only. @default false */
  readonly dryRun?: boolean;
}

/**
 * The correcting batch over the Kafka + Cassandra pipeline: replays the weather event topic
 * up to the stream's stored offset, recomputes every aggregate with the stream's math,
 * compares each row exactly with the Cassandra tables and rewrites the rows that differ.
 *
 * Cassandra has no transaction to hold the projection off meanwhile: the batch compares only
 * when the stored offset is the same before and after it read the tables (else it reads
 * again), and it should run while the stream is caught up with no ingest, or paused; a
 * rewrite racing a stream batch could otherwise put back an older value of a row that batch
 * touched, until the next batch touching it.
 */
export class CassandraCorrectingBatch {
  /** Runs the batch once. */
  static async run(options: CassandraCorrectingBatchOptions): Promise<CorrectionReport> {
    const id = { name: AGGREGATION_PROJECTION_NAME, key: options.source.key };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const atOffset = (await options.offsetStore.readOffset(id)) ?? 0;
      const readings: Reading[] = [];
      if (atOffset > 0) {
        const abort = new AbortController();
        try {
          for await (const envelope of options.source.open(0, abort.signal)) {
            if (envelope.offset > atOffset) break;
            readings.push(decodeWeatherEvent(envelope).reading);
            if (envelope.offset === atOffset) break;
          }
        } finally {
          abort.abort();
        }
      }
      const actual = await options.readModel.readAggregates();
      if (((await options.offsetStore.readOffset(id)) ?? 0) !== atOffset) continue;
      const expected = aggregatesFromReadings(readings);
      const correction = compareAggregates(expected, actual);
      const differing = correctionCounts(correction);
      const totalDiffering = AGGREGATE_TABLES.reduce((sum, table) => sum + differing[table], 0);
      const rewritten = options.dryRun !== true && totalDiffering > 0;
      if (rewritten) await options.readModel.correct(correction);
      const recomputed = Object.fromEntries(AGGREGATE_TABLES.map((table) => [table, expected[table].size])) as Record<AggregateTable, number>;
      return { atOffset, readings: readings.length, recomputed, differing, totalDiffering, rewritten };
    }
    throw new Error(`CassandraCorrectingBatch: the stream kept moving while the batch compared, ${MAX_ATTEMPTS} times; pause it and run again`);
  }
}
