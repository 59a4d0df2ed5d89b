import type { ConsumedRecord, GroupSubscription, KafkaClient } from './kafka-client.js';
import { EnvelopeDecoder, type KafkaEventEnvelope } from './event-envelope.js';
import { PlatformaticKafkaClient } from './internal/platformatic-kafka-client.js';
import { type KafkaConnectionOptions, resolveConnection } from './kafka-options.js';
import { checkTopicText } from './topic-names.js';

/** Options of `eventStream`. */
export interface EventStreamOptions extends KafkaConnectionOptions {
  /** Consumer group: the stream resumes from the offsets this group committed. Required. */
  readonly groupId: string;
  /** Event topics to read. @default ['events'] */
  readonly topics?: readonly string[];
  /** Where a group without committed offsets starts. @default 'earliest' */
  readonly from?: 'earliest' | 'latest';
  /**
   * Create topics that do not exist yet (a projection may start before the first event
   * is written), with `topicPartitions` partitions; otherwise a missing topic ends the
   * stream with an error. @default true
   */
  readonly createTopics?: boolean;
  /** Partitions of topics the stream creates. @default 1 */
  readonly topicPartitions?: number;
  /** Commit after this many processed events. @default 100 */
  readonly commitEvery?: number;
  /** Also commit when this long passed since the last commit (checked per event). @default 1000 */
  readonly commitIntervalMs?: number;
  /**
   * Records the stream holds ahead of the loop: while it holds this many, it fetches nothing
   * (backpressure). @default 1000
   */
  readonly bufferSize?: number;
  /**
   * Most bytes one Fetch asks for; with `bufferSize` it bounds the stream's memory (a record
   * batch larger than this still comes whole, as Kafka returns it). @default 1048576
   */
  readonly fetchMaxBytes?: number;
  /** A record that is not an envelope: `'fail'` ends the stream with `EnvelopeFormatError`; `'skip'` passes over it. @default 'fail' */
  readonly onInvalidRecord?: 'fail' | 'skip';
  /** Ends the stream (the loop over it finishes normally). */
  readonly signal?: AbortSignal;
}

/** The `AsyncIterable` of `eventStream`. */
export interface EventStream extends AsyncIterable<KafkaEventEnvelope> {
  /** Records fetched and not yet yielded, over the running loops over this stream: at most about `bufferSize` plus one fetch. */
  readonly buffered: number;
}

/**
 * Events from user-defined event topics as an `AsyncIterable`, for analytics and
 * projections (the akka-analytics-kafka idea, without Spark). The stream joins the
 * consumer group `groupId`, so several processes with the same group share the
 * partitions, and a restarted stream resumes where the group's committed offsets say.
 *
 * - Order: events of one persistence id arrive in sequence order (they share a key and
 *   thus a partition); events of different ids are not ordered with each other.
 * - Delivery: at least once. An event counts as processed when the loop asks for the
 *   next one; processed events are committed every `commitEvery` events or
 *   `commitIntervalMs`, and when the stream ends. After a crash, up to that many events
 *   come again: make projections idempotent (e.g. keep the last sequence number per id).
 * - Memory: the stream fetches ahead of the loop only until it holds `bufferSize` records
 *   (plus the rest of the fetch that crossed it, at most about `fetchMaxBytes`), then waits
 *   for the loop, so a slow projection does not make it read the whole topic into memory.
 *
 * @example
 * for await (const event of eventStream({ brokers, groupId: 'billing-projection' })) {
 *   await project(event.persistenceId, event.sequenceNr, JSON.parse(Buffer.from(event.payload).toString()));
 * }
 */
export function eventStream(options: EventStreamOptions): EventStream {
  const owner = 'eventStream';
  const connection = resolveConnection(owner, options);
  if (typeof options.groupId !== 'string' || options.groupId === '') throw new TypeError(`${owner}: groupId must be a non-empty string`);
  const topics = options.topics ?? ['events'];
  if (!Array.isArray(topics) || topics.length === 0) throw new TypeError(`${owner}: topics must be a non-empty array of topic names`);
  for (const topic of topics) checkTopicText(owner, 'topics[]', topic, false);
  const from = options.from ?? 'earliest';
  if (from !== 'earliest' && from !== 'latest') throw new TypeError(`${owner}: from must be 'earliest' or 'latest', got ${JSON.stringify(from)}`);
  const commitEvery = options.commitEvery ?? 100;
  const commitIntervalMs = options.commitIntervalMs ?? 1000;
  if (!(Number.isSafeInteger(commitEvery) && commitEvery > 0)) throw new RangeError(`${owner}: commitEvery must be a positive integer, got ${commitEvery}`);
  if (!(Number.isFinite(commitIntervalMs) && commitIntervalMs >= 0)) throw new RangeError(`${owner}: commitIntervalMs must be a non-negative number, got ${commitIntervalMs}`);
  const onInvalid = options.onInvalidRecord ?? 'fail';
  const createTopics = options.createTopics ?? true;
  const topicPartitions = options.topicPartitions ?? 1;
  if (typeof createTopics !== 'boolean') throw new TypeError(`${owner}: createTopics must be a boolean`);
  if (!(Number.isSafeInteger(topicPartitions) && topicPartitions > 0)) throw new RangeError(`${owner}: topicPartitions must be a positive integer, got ${topicPartitions}`);
  const bufferSize = options.bufferSize ?? 1000;
  const fetchMaxBytes = options.fetchMaxBytes ?? 1024 * 1024;
  if (!(Number.isSafeInteger(bufferSize) && bufferSize > 0)) throw new RangeError(`${owner}: bufferSize must be a positive integer, got ${bufferSize}`);
  if (!(Number.isSafeInteger(fetchMaxBytes) && fetchMaxBytes > 0)) throw new RangeError(`${owner}: fetchMaxBytes must be a positive integer, got ${fetchMaxBytes}`);
  const { signal } = options;
  const running = new Set<GroupSubscription>();

  return {
    get buffered(): number {
      let sum = 0;
      for (const subscription of running) sum += subscription.buffered;
      return sum;
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<KafkaEventEnvelope> {
      if (signal?.aborted) return;
      const kafka: KafkaClient = new PlatformaticKafkaClient(connection);
      let subscription: GroupSubscription | undefined;
      const onAbort = (): void => void subscription?.close();
      let processed: ConsumedRecord[] = [];
      try {
        await kafka.connect();
        if (createTopics) await kafka.ensureTopics(topics.map((name) => ({ name, partitions: topicPartitions, replicationFactor: -1, configs: {} })));
        subscription = await kafka.subscribe({ groupId: options.groupId, topics, from, fetchMaxBytes, bufferSize });
        running.add(subscription);
        signal?.addEventListener('abort', onAbort, { once: true });
        if (signal?.aborted) return;
        let lastCommit = Date.now();
        const decoder = new EnvelopeDecoder();
        for await (const record of subscription) {
          if (signal?.aborted) break;
          let event: KafkaEventEnvelope;
          try {
            event = { ...decoder.decode(record), topic: record.topic, partition: record.partition, offset: record.offset };
          } catch (error) {
            if (onInvalid === 'fail') throw error;
            processed.push(record);
            continue;
          }
          yield event;
          // The loop asked for the next event: this one is processed.
          processed.push(record);
          if (processed.length >= commitEvery || Date.now() - lastCommit >= commitIntervalMs) {
            await subscription.commit(processed);
            processed = [];
            lastCommit = Date.now();
          }
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
        if (subscription !== undefined) running.delete(subscription);
        try {
          if (subscription !== undefined && processed.length > 0) await subscription.commit(processed).catch(() => undefined);
        } finally {
          await subscription?.close();
          await kafka.close();
        }
      }
    },
  };
}
