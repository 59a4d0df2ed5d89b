import { Admin, type Broker, ConnectionPool, fetchV12 } from '@platformatic/kafka';
import { SerializationRegistry } from '@troupe/core';
import { type EventEnvelope, JsonPayloadSerializer, type PersistentRepr } from '@troupe/persistence';
import { EnvelopeDecoder, OffsetOutOfRangeError } from '@troupe/persistence-kafka';
import type { SourceProvider } from '@troupe/projection';

/** Options of `KafkaEventTopicSource.create`; defaults in `KafkaEventTopicSourceDefaults`. */
export interface KafkaEventTopicSourceOptions {
  /** Bootstrap `host:port` list. */
  readonly brokers: readonly string[];
  /** The event topic the Kafka journal publishes to (its `eventTopicMapper`). */
  readonly topic: string;
  /** The partition this source reads; one projection per partition. @default 0 */
  readonly partition?: number;
  /** Turns payloads back into events; give the one the writing system uses. @default JSON (`JsonPayloadSerializer`) */
  readonly serialization?: SerializationRegistry;
  /** Prefix of the client ids the broker sees. @default 'troupe-projection' */
  readonly clientId?: string;
  /** Most bytes per Fetch. @default 1048576 */
  readonly fetchMaxBytes?: number;
  /** How long the broker holds a Fetch at the end of the partition before answering empty (new records answer at once). @default 500 */
  readonly maxWaitMs?: number;
  /** TCP connect timeout per broker. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** How often to look again for a topic that does not exist yet. @default 500 */
  readonly missingTopicRetryMs?: number;
  /** A record that is not a Troupe event envelope: `'fail'` fails the source (the projection restarts with backoff); `'skip'` passes over it. @default 'fail' */
  readonly onInvalidRecord?: 'fail' | 'skip';
}

/** Every default of `KafkaEventTopicSource`, in one place. */
export const KafkaEventTopicSourceDefaults = {
  partition: 0,
  clientId: 'troupe-projection',
  fetchMaxBytes: 1_048_576,
  maxWaitMs: 500,
  connectTimeoutMs: 5_000,
  missingTopicRetryMs: 500,
  onInvalidRecord: 'fail',
} as const;

type Settings = Required<Omit<KafkaEventTopicSourceOptions, 'brokers' | 'serialization'>> & { readonly brokers: readonly string[]; readonly serialization: SerializationRegistry };

/**
 * One partition of a Kafka event topic as a projection source. The offsets the projection
 * stores are **Kafka offsets + 1** (the projection's 0 means "nothing handled"), so a stored
 * offset is exactly the next Kafka offset to read: `open(after)` fetches from Kafka offset
 * `after`, without a consumer group (the offset lives in the projection's store, e.g. in
 * Cassandra or in the SQLite read model's transaction, never in Kafka).
 *
 * Kafka orders records within a partition only, and a projection stores one offset, so
 * there is one projection per partition (`KafkaEventTopicSource.forPartitions`), each with
 * its key `kafka:<topic>/<partition>`. The journal keys event records by persistence id,
 * so one entity's events stay in one partition, in order.
 *
 * Guarantees: every record at or after the stored offset is read, in partition order; a
 * record below the log start (deleted by retention) fails the source with
 * `OffsetOutOfRangeError` instead of skipping silently. A missing topic is waited for (a
 * projection may start before the first event is published).
 *
 * @example
 * const source = KafkaEventTopicSource.create<WeatherEvent>({ brokers: ['127.0.0.1:9092'], topic: 'weather-events' });
 * Projection.grouped({ name: 'weather', source, offsetStore, handler });
 */
export class KafkaEventTopicSource<E = unknown> implements SourceProvider<E> {
  readonly key: string;

  private constructor(private readonly settings: Settings) {
    this.key = `kafka:${settings.topic}/${settings.partition}`;
  }

  /** A source over `options.topic`'s partition `options.partition`. @throws TypeError/RangeError naming a bad option */
  static create<E = unknown>(options: KafkaEventTopicSourceOptions): KafkaEventTopicSource<E> {
    const owner = 'KafkaEventTopicSource';
    if (options === null || typeof options !== 'object') throw new TypeError(`${owner}: options must be an object`);
    if (!Array.isArray(options.brokers) || options.brokers.length === 0 || !options.brokers.every((b) => typeof b === 'string' && /^[^:\s]+:\d+$/.test(b))) {
      throw new TypeError(`${owner}: brokers must be a non-empty array of host:port, got ${JSON.stringify(options.brokers)}`);
    }
    if (typeof options.topic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(options.topic)) throw new TypeError(`${owner}: topic must be a Kafka topic name, got ${JSON.stringify(options.topic)}`);
    const d = KafkaEventTopicSourceDefaults;
    const whole = (field: string, value: number, min: number): number => {
      if (!(Number.isSafeInteger(value) && value >= min)) throw new RangeError(`${owner}: ${field} must be an integer >= ${min}, got ${value}`);
      return value;
    };
    const onInvalidRecord = options.onInvalidRecord ?? d.onInvalidRecord;
    if (onInvalidRecord !== 'fail' && onInvalidRecord !== 'skip') throw new TypeError(`${owner}: onInvalidRecord must be 'fail' or 'skip', got ${JSON.stringify(onInvalidRecord)}`);
    const serialization = options.serialization ?? new SerializationRegistry(new JsonPayloadSerializer());
    if (!(serialization instanceof SerializationRegistry)) throw new TypeError(`${owner}: serialization must be a SerializationRegistry`);
    const clientId = options.clientId ?? d.clientId;
    if (typeof clientId !== 'string' || clientId === '') throw new TypeError(`${owner}: clientId must be a non-empty string`);
    return new KafkaEventTopicSource<E>({
      brokers: [...options.brokers],
      topic: options.topic,
      partition: whole('partition', options.partition ?? d.partition, 0),
      serialization,
      clientId,
      fetchMaxBytes: whole('fetchMaxBytes', options.fetchMaxBytes ?? d.fetchMaxBytes, 1024),
      maxWaitMs: whole('maxWaitMs', options.maxWaitMs ?? d.maxWaitMs, 0),
      connectTimeoutMs: whole('connectTimeoutMs', options.connectTimeoutMs ?? d.connectTimeoutMs, 1),
      missingTopicRetryMs: whole('missingTopicRetryMs', options.missingTopicRetryMs ?? d.missingTopicRetryMs, 1),
      onInvalidRecord,
    });
  }

  /** One source per partition `0 … partitions - 1` of the topic: run one projection on each. */
  static forPartitions<E = unknown>(options: Omit<KafkaEventTopicSourceOptions, 'partition'>, partitions: number): KafkaEventTopicSource<E>[] {
    if (!(Number.isSafeInteger(partitions) && partitions > 0)) throw new RangeError(`KafkaEventTopicSource.forPartitions: partitions must be a positive integer, got ${partitions}`);
    return Array.from({ length: partitions }, (_, partition) => KafkaEventTopicSource.create<E>({ ...options, partition }));
  }

  /** The Kafka offset of the record a projection offset names (`offset - 1`). */
  static kafkaOffsetOf(projectionOffset: number): bigint {
    return BigInt(projectionOffset) - 1n;
  }

  /**
   * The projection offset of the last record in the partition now (its high watermark;
   * 0 when the topic is empty or does not exist yet): a projection whose stored offset
   * reaches it has handled everything published so far. For lag and "caught up" checks.
   */
  async endOffset(): Promise<number> {
    const { settings } = this;
    const admin = new Admin({ bootstrapBrokers: [...settings.brokers], clientId: `${settings.clientId}-admin`, connectTimeout: settings.connectTimeoutMs });
    try {
      if ((await leaderOf(admin, settings.topic, settings.partition)) === undefined) return 0;
      return Number(await listOffset(admin, settings.topic, settings.partition, -1n));
    } catch (error) {
      if (isUnknownTopic(error)) return 0;
      throw error;
    } finally {
      await admin.close();
    }
  }

  open(afterOffset: number, signal: AbortSignal): AsyncIterable<EventEnvelope<E>> {
    return this.read(BigInt(afterOffset), signal);
  }

  private async *read(from: bigint, signal: AbortSignal): AsyncGenerator<EventEnvelope<E>> {
    const { settings } = this;
    const { topic, partition } = settings;
    const admin = new Admin({ bootstrapBrokers: [...settings.brokers], clientId: `${settings.clientId}-admin`, connectTimeout: settings.connectTimeoutMs });
    const pool = new ConnectionPool(`${settings.clientId}-reader`, { connectTimeout: settings.connectTimeoutMs });
    const decoder = new EnvelopeDecoder();
    let next = from;
    try {
      while (!signal.aborted) {
        const broker = await leaderOf(admin, topic, partition);
        if (broker === undefined) {
          await abortableDelay(settings.missingTopicRetryMs, signal);
          continue;
        }
        const connection = await pool.get(broker);
        let response;
        try {
          // Session 0, epoch -1: a sessionless full fetch; the broker answers as soon as a record arrives, or after maxWaitMs.
          response = await fetchV12.api.async(
            connection,
            settings.maxWaitMs,
            1,
            settings.fetchMaxBytes,
            0,
            0,
            -1,
            [{ topicId: topic, partitions: [{ partition, fetchOffset: next, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: settings.fetchMaxBytes }] }],
            [],
            '',
          );
        } catch (error) {
          if (hasApiError(error, 'OFFSET_OUT_OF_RANGE')) {
            // A partition whose leader just took over (a new topic) can answer this for a moment:
            // fail only when the offset really lies outside what the partition holds.
            const [start, end] = await Promise.all([listOffset(admin, topic, partition, -2n), listOffset(admin, topic, partition, -1n)]);
            if (next < start || next > end) throw new OffsetOutOfRangeError(topic, partition, next);
            await abortableDelay(settings.missingTopicRetryMs, signal);
            continue;
          }
          if (isUnknownTopic(error)) {
            admin.clearMetadata();
            continue;
          }
          throw error;
        }
        const answer = response.responses[0]?.partitions.find((p) => p.partitionIndex === partition);
        for (const batch of answer?.records ?? []) {
          for (const record of batch.records) {
            const offset = batch.firstOffset + BigInt(record.offsetDelta);
            // Kafka answers with whole record batches: records before the asked offset were handled.
            if (offset < next) continue;
            let repr: PersistentRepr;
            try {
              repr = decoder.decode({ value: record.value, headers: record.headers });
            } catch (error) {
              if (settings.onInvalidRecord === 'fail') throw error;
              next = offset + 1n;
              continue;
            }
            const event = settings.serialization.deserialize({ serializerId: repr.serializerId, manifest: repr.manifest, bytes: repr.payload }) as E;
            yield { offset: Number(offset + 1n), persistenceId: repr.persistenceId, sequenceNr: repr.sequenceNr, event, timestamp: repr.timestamp, tags: repr.tags };
            next = offset + 1n;
          }
          // A batch may end with records the producer aborted or compaction removed: read past it.
          const afterBatch = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
          if (afterBatch > next) next = afterBatch;
        }
      }
    } finally {
      await Promise.allSettled([pool.close(), admin.close()]);
    }
  }
}

async function leaderOf(admin: Admin, topic: string, partition: number): Promise<Broker | undefined> {
  let metadata;
  try {
    metadata = await admin.metadata({ topics: [topic] });
  } catch (error) {
    if (isUnknownTopic(error)) {
      admin.clearMetadata();
      return undefined;
    }
    throw error;
  }
  const leader = metadata.topics.get(topic)?.partitions[partition]?.leader;
  if (leader === undefined) {
    admin.clearMetadata();
    return undefined;
  }
  return metadata.brokers.get(leader);
}

/** ListOffsets of one partition: `-1n` the high watermark, `-2n` the log start. */
async function listOffset(admin: Admin, topic: string, partition: number, timestamp: bigint): Promise<bigint> {
  const [answer] = await admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp }] }] });
  const found = answer?.partitions.find((p) => p.partitionIndex === partition);
  if (found === undefined) throw new Error(`ListOffsets returned no offset for ${topic}-${partition}`);
  return found.offset;
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

type ErrorTree = Error & { findBy?: (property: string, value: unknown) => unknown };

/** True when the client's error tree carries the Kafka error `apiId`. */
function hasApiError(error: unknown, apiId: string): boolean {
  return (error as ErrorTree)?.findBy?.('apiId', apiId) != null;
}

function isUnknownTopic(error: unknown): boolean {
  return (error instanceof Error && error.message.startsWith('Unknown topic')) || hasApiError(error, 'UNKNOWN_TOPIC_OR_PARTITION') || hasApiError(error, 'UNKNOWN_TOPIC_ID');
}
