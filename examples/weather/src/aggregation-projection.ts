import type { ActorSystem } from '@troupe/core';
import type { EventEnvelope, ReadJournal } from '@troupe/persistence';
import { EventsByTagSource, Projection, type RestartBackoffOptions, SqliteOffsetStore } from '@troupe/projection';
import { validateReading } from './reading.js';
import { SqliteReadModel } from './sqlite-read-model.js';
import { WEATHER_TAG, type WeatherStationEvent } from './weather-station.js';

/** The projection's name: with the source key `tag:weather`, what its offset is stored under. */
export const AGGREGATION_PROJECTION_NAME = 'weather-aggregates';

/** Options of `AggregationProjection.start`. */
export interface AggregationProjectionOptions {
  /** Its clock and logger; the projection stops when it terminates. */
  readonly system: ActorSystem;
  /** The journal's queries (`PersistenceQuery.readJournalFor`). */
  readonly readJournal: ReadJournal<WeatherStationEvent>;
  /** The read model's SQLite file; the offset is kept in it too. */
  readonly readModelPath: string;
  /** Most events per transaction. @default 500 */
  readonly groupAfterEnvelopes?: number;
  /** A smaller batch commits this long after its first event. @default 50 */
  readonly groupAfterMs?: number;
  /** @default 200 ms doubling to 5 s, jitter 0.2 */
  readonly restartBackoff?: RestartBackoffOptions;
  /**
   * Called inside each batch's transaction after the read-model writes, before the commit,
   * with the batch's number in this run (from 1): for metrics, or to inject a crash at the
   * worst moment in tests.
   */
  readonly onBatchWritten?: (batchNumber: number) => void;
}

/**
 * The projections' `decode`: the journal is trusted no more than the HTTP body, so an event
 * that is not a valid reading stops the projection, naming it, instead of reaching the read model.
 * @throws TypeError
 */
export function decodeWeatherEvent({ event }: EventEnvelope<WeatherStationEvent>): WeatherStationEvent {
  if (event?.type !== 'reading-recorded') throw new TypeError(`unknown weather station event ${JSON.stringify((event as { type?: unknown } | null)?.type)}`);
  const result = validateReading(event.reading);
  if (!result.ok) throw new TypeError(`invalid reading: ${result.reason}`);
  return { type: 'reading-recorded', reading: result.reading };
}

/**
 * The stream stage: an exactly-once projection over the live `eventsByTag('weather')` that
 * writes each batch's readings into `raw_weather_data` and recomputes the daily, monthly
 * and annual rows they touch (`SqliteReadModel.applyReadings`), in the same SQLite
 * transaction as its offset. The writes are idempotent upserts as well, so exactness does
 * not rest on the transaction alone: a sink without one (Cassandra) behind the same
 * `ReadModelWriter` interface stays exact with an at-least-once projection.
 */
export class AggregationProjection {
  private constructor(
    private readonly offsets: SqliteOffsetStore,
    /** The running projection: status, pause, resume, offsets. */
    readonly projection: Projection<WeatherStationEvent>,
  ) {}

  /** Opens (creating) the read model and starts following the journal from the stored offset. */
  static start(options: AggregationProjectionOptions): AggregationProjection {
    const offsets = SqliteOffsetStore.open({ path: options.readModelPath, busyTimeoutMs: 10_000 });
    const readModel = SqliteReadModel.on(offsets.database);
    let batches = 0;
    const projection = Projection.exactlyOnce<WeatherStationEvent>({
      name: AGGREGATION_PROJECTION_NAME,
      source: EventsByTagSource.create(options.readJournal, WEATHER_TAG),
      offsetStore: offsets,
      system: options.system,
      groupAfterEnvelopes: options.groupAfterEnvelopes ?? 500,
      groupAfterMs: options.groupAfterMs ?? 50,
      restartBackoff: options.restartBackoff ?? { minBackoffMs: 200, maxBackoffMs: 5_000, randomFactor: 0.2 },
      decode: decodeWeatherEvent,
      handler: (batch) => {
        readModel.applyReadings(batch.map((envelope) => envelope.event.reading));
        options.onBatchWritten?.(++batches);
      },
    }).start();
    return new AggregationProjection(offsets, projection);
  }

  /** Resolves once every event up to journal offset `offset` is applied and committed. @throws when the projection failed or the deadline passed */
  async caughtUpTo(offset: number, deadlineMs = 60_000): Promise<void> {
    const deadline = performance.now() + deadlineMs;
    while ((this.projection.status().storedOffset ?? 0) < offset) {
      const { state, lastError, storedOffset } = this.projection.status();
      if (state === 'failed') throw lastError ?? new Error('the aggregation projection failed');
      if (performance.now() > deadline) throw new Error(`the aggregation projection reached offset ${storedOffset ?? 0} of ${offset} in ${deadlineMs} ms`);
      await new Promise<void>((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stops the projection (after the batch in hand) and closes its connection. */
  async stop(): Promise<void> {
    await this.projection.stop();
    await this.offsets.close();
  }
}
