import type { ActorSystem, Logger } from '@troupe/core';
import type { EventEnvelope } from '@troupe/persistence';
import { type OffsetStore, Projection, type RestartBackoffOptions, type SourceProvider } from '@troupe/projection';
import { AGGREGATION_PROJECTION_NAME, decodeWeatherEvent } from './aggregation-projection.js';
import type { CassandraReadModel } from './cassandra-read-model.js';
import type { WeatherStationEvent } from './weather-station.js';

/** Options of `CassandraAggregationProjection.start`. */
export interface CassandraAggregationProjectionOptions {
  /** The weather event topic (`KafkaEventTopicSource`), or any source of station events. */
  readonly source: SourceProvider<WeatherStationEvent>;
  /** Where the offset is kept (`CassandraOffsetStore`, beside the read model). */
  readonly offsetStore: OffsetStore;
  readonly readModel: CassandraReadModel;
  /** Its clock and logger; the projection stops when it terminates. */
  readonly system?: ActorSystem;
  readonly logger?: Logger;
  /** Most events per batch. @default 500 */
  readonly groupAfterEnvelopes?: number;
  /** A smaller batch is written this long after its first event. @default 50 */
  readonly groupAfterMs?: number;
  /** @default 200 ms doubling to 5 s, jitter 0.2 */
  readonly restartBackoff?: RestartBackoffOptions;
  /**
   * Called after each batch's read-model writes, before its offset is stored, with the
   * batch's number in this run (from 1) and the batch: for metrics (lag), or to inject a
   * crash at the worst moment in tests.
   */
  readonly onBatchWritten?: (batchNumber: number, batch: readonly EventEnvelope<WeatherStationEvent>[]) => void;
}

/**
 * The stream stage on Kafka and Cassandra: a grouped (at-least-once) projection over the
 * weather event topic into `CassandraReadModel`. Cassandra cannot commit the rows and the
 * offset together, so a batch interrupted by a crash is applied again on restart; the read
 * model's writes are idempotent upserts (raw rows by station and hour, aggregates
 * recomputed from stored rows), so the second application writes the same values and the
 * tables end exactly as one pass would leave them.
 */
export class CassandraAggregationProjection {
  private constructor(
    /** The running projection: status, pause, resume, offsets. */
    readonly projection: Projection<WeatherStationEvent>,
  ) {}

  /** Starts following the source from the stored offset. */
  static start(options: CassandraAggregationProjectionOptions): CassandraAggregationProjection {
    let batches = 0;
    const projection = Projection.grouped<WeatherStationEvent>({
      name: AGGREGATION_PROJECTION_NAME,
      source: options.source,
      offsetStore: options.offsetStore,
      ...(options.system === undefined ? {} : { system: options.system }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      groupAfterEnvelopes: options.groupAfterEnvelopes ?? 500,
      groupAfterMs: options.groupAfterMs ?? 50,
      restartBackoff: options.restartBackoff ?? { minBackoffMs: 200, maxBackoffMs: 5_000, randomFactor: 0.2 },
      decode: decodeWeatherEvent,
      handler: async (batch) => {
        await options.readModel.applyReadings(batch.map((envelope) => envelope.event.reading));
        options.onBatchWritten?.(++batches, batch);
      },
    }).start();
    return new CassandraAggregationProjection(projection);
  }

  /** Resolves once every event up to `offset` is applied and its offset stored. @throws when the projection failed or the deadline passed */
  async caughtUpTo(offset: number, deadlineMs = 120_000): Promise<void> {
    const deadline = performance.now() + deadlineMs;
    while ((this.projection.status().storedOffset ?? 0) < offset) {
      const { state, lastError, storedOffset } = this.projection.status();
      if (state === 'failed') throw lastError ?? new Error('the aggregation projection failed');
      if (performance.now() > deadline) throw new Error(`the aggregation projection reached offset ${storedOffset ?? 0} of ${offset} in ${deadlineMs} ms`);
      await new Promise<void>((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stops after the batch in hand, storing its offset. */
  async stop(): Promise<void> {
    await this.projection.stop();
  }
}
