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
  /** A record that is not an envelope: `'fail'` ends the stream with `EnvelopeFormatError`; `'skip'` passes over it. @default 'fail' */
  readonly onInvalidRecord?: 'fail' | 'skip';
  /** Ends the stream (the loop over it finishes normally). */
  readonly signal?: AbortSignal;
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
 *
 * @example
 * for await (const event of eventStream({ brokers, groupId: 'billing-projection' })) {
 *   await project(event.persistenceId, event.sequenceNr, JSON.parse(Buffer.from(event.payload).toString()));
 * }
 */
export function eventStream(options: EventStreamOptions): AsyncIterable<KafkaEventEnvelope> {
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
  const { signal } = options;

  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<KafkaEventEnvelope> {
      if (signal?.aborted) return;
      const kafka: KafkaClient = new PlatformaticKafkaClient(connection);
      let subscription: GroupSubscription | undefined;
      const onAbort = (): void => void subscription?.close();
      let processed: ConsumedRecord[] = [];
      try {
        await kafka.connect();
        if (createTopics) await kafka.ensureTopics(topics.map((name) => ({ name, partitions: topicPartitions, replicationFactor: -1, configs: {} })));
        subscription = await kafka.subscribe({ groupId: options.groupId, topics, from });
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
