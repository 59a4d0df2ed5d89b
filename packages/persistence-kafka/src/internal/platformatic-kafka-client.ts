import { randomUUID } from 'node:crypto';
import { Admin, type Broker, ConnectionPool, Consumer, type Message, type MessageToProduce, Producer, compatibilityPartitioner, fetchV12 } from '@platformatic/kafka';
import { KafkaUnreachableError, OffsetOutOfRangeError, TopicCreationError, TransactionalIdFencedError } from '../kafka-errors.js';
import {
  type ConsumedRecord,
  type GroupSubscription,
  type GroupSubscriptionOptions,
  type IncomingRecord,
  type KafkaClient,
  type OutgoingRecord,
  type PartitionRead,
  type TopicSpec,
  partitionKey,
} from '../kafka-client.js';
import type { ResolvedConnection } from '../kafka-options.js';

/** Connection settings of the adapter: the plugin's validated connection options. */
export type PlatformaticClientSettings = ResolvedConnection;

/** How the adapter names its transactional producers. */
export interface TransactionalSettings {
  /**
   * Stable transactional ids `<prefix>-<slot>`: a restarted process fences its predecessor's
   * open transactions at `connect`. Without it every producer gets a random id.
   */
  readonly idPrefix?: string;
}

type KafkaProducer = Producer<Buffer, Buffer, Buffer, Buffer>;
type KafkaTransaction = Awaited<ReturnType<KafkaProducer['beginTransaction']>>;

type AnyError = Error & { findBy?: (property: string, value: unknown) => unknown; errors?: unknown[] };

/** True when the error tree carries the Kafka error `apiId` (e.g. `TOPIC_ALREADY_EXISTS`). */
function hasApiError(error: unknown, apiId: string): boolean {
  return (error as AnyError)?.findBy?.('apiId', apiId) != null;
}

/** The Kafka error ids (`apiId`) at the leaves of an error tree. */
function apiErrorsOf(error: unknown, found: string[] = []): string[] {
  const e = error as { apiId?: unknown; errors?: unknown };
  if (typeof e?.apiId === 'string') found.push(e.apiId);
  if (Array.isArray(e?.errors)) for (const inner of e.errors) apiErrorsOf(inner, found);
  return found;
}

/** Kafka's TOPIC_ALREADY_EXISTS error code, the one per-topic answer of CreateTopics that is not a refusal. */
const TOPIC_ALREADY_EXISTS = 36;

/** The topics a CreateTopics answer refused, with the broker's message, found in an error tree. */
function refusedTopicsOf(error: unknown, found = new Map<string, string>()): Map<string, string> {
  const e = error as { response?: { topics?: unknown }; errors?: unknown };
  const topics = e?.response?.topics;
  if (Array.isArray(topics)) {
    for (const topic of topics as { name?: unknown; errorCode?: unknown; errorMessage?: unknown }[]) {
      if (typeof topic?.name !== 'string' || typeof topic.errorCode !== 'number' || topic.errorCode === 0 || topic.errorCode === TOPIC_ALREADY_EXISTS) continue;
      found.set(topic.name, typeof topic.errorMessage === 'string' && topic.errorMessage !== '' ? topic.errorMessage : `error code ${topic.errorCode}`);
    }
  }
  if (Array.isArray(e?.errors)) for (const inner of e.errors) refusedTopicsOf(inner, found);
  return found;
}

/** True when the broker says another producer took over the transactional id (a newer epoch). */
function isFenced(error: unknown): boolean {
  return hasApiError(error, 'PRODUCER_FENCED') || hasApiError(error, 'INVALID_PRODUCER_EPOCH') || (error as AnyError)?.findBy?.('producerFenced', true) != null;
}

function isUnknownTopic(error: unknown): boolean {
  return (error instanceof Error && error.message.startsWith('Unknown topic')) || hasApiError(error, 'UNKNOWN_TOPIC_OR_PARTITION') || hasApiError(error, 'UNKNOWN_TOPIC_ID');
}

/** Header names as Buffers, made once: the same few names are on every record. */
const headerNames = new Map<string, Buffer>();
function headerName(name: string): Buffer {
  let bytes = headerNames.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name, 'utf8');
    if (headerNames.size < 1000) headerNames.set(name, bytes);
  }
  return bytes;
}

const noDelay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One partition of a Fetch answer. */
type FetchResponsePartition = Awaited<ReturnType<typeof fetchV12.api.async>>['responses'][number]['partitions'][number];

/** Fetch isolation levels. */
const READ_UNCOMMITTED = 0;
const READ_COMMITTED = 1;
/** Record batch attribute bits (Kafka protocol): part of a transaction; a control batch (commit/abort marker). */
const IS_TRANSACTIONAL_BATCH = 1 << 4;
const IS_CONTROL_BATCH = 1 << 5;
/**
 * Transactional producers per client. A transaction's end (EndTxn) answers before its
 * markers are written, and the same producer's next transaction waits for them; a second
 * producer lets the next transaction start meanwhile.
 */
const TRANSACTIONAL_PRODUCERS = 2;

/** The library's message for an outgoing record. */
function toMessage(record: OutgoingRecord): MessageToProduce<Buffer, Buffer, Buffer, Buffer> {
  return {
    topic: record.topic,
    ...(record.partition !== undefined ? { partition: record.partition } : {}),
    key: record.key,
    ...(record.value !== null ? { value: record.value } : {}),
    headers: new Map(record.headers.map(([name, value]) => [headerName(name), value])),
    timestamp: BigInt(record.timestamp),
  };
}

/**
 * The `KafkaClient` seam on `@platformatic/kafka` (chosen by measurement, see
 * BENCHMARKS.md, section Kafka): an idempotent `Producer`, an `Admin` for metadata, offsets,
 * topics and delete-records, sessionless Fetch v12 requests on a dedicated connection
 * pool for group-less partition reads (the library's `Consumer.fetch` keeps one
 * incremental fetch session per broker, which concurrent recoveries would race on), and
 * a `Consumer` per consumer-group subscription.
 */
export class PlatformaticKafkaClient implements KafkaClient {
  private readonly admin: Admin;
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private readonly readPool: ConnectionPool;
  private readonly subscriptions = new Set<GroupSubscription>();
  private readonly idleTransactional: KafkaProducer[] = [];
  private readonly waitingTransactional: ((producer: KafkaProducer) => void)[] = [];
  private transactionalCount = 0;
  /** Slots not held by a live transactional producer; a slot names a stable transactional id. */
  private readonly freeSlots = Array.from({ length: TRANSACTIONAL_PRODUCERS }, (_, slot) => slot);
  private readonly slots = new Map<KafkaProducer, { readonly slot: number; readonly transactionalId: string }>();
  /** Transactions begun at `connect` to fence a predecessor (InitProducerId), used by the slot's first write. */
  private readonly begun = new Map<KafkaProducer, KafkaTransaction>();
  private fencing: Promise<void> | undefined;
  private closed = false;

  /** Connection options shared by every client this adapter creates. */
  private readonly base: ReturnType<typeof baseOptions>;

  constructor(
    private readonly settings: PlatformaticClientSettings,
    private readonly transactional: TransactionalSettings = {},
  ) {
    const base = (this.base = baseOptions(settings));
    this.admin = new Admin({ ...base, clientId: `${settings.clientId}-admin` });
    this.producer = new Producer({ ...base, clientId: `${settings.clientId}-producer`, idempotent: true, acks: -1, autocreateTopics: false, partitioner: compatibilityPartitioner });
    this.readPool = new ConnectionPool(`${settings.clientId}-reader`, {
      connectTimeout: settings.connectTimeoutMs,
      ...(settings.tls !== undefined ? { tls: settings.tls } : {}),
      ...(settings.sasl !== undefined ? { sasl: settings.sasl } : {}),
    });
  }

  async connect(): Promise<void> {
    try {
      await this.admin.metadata({ topics: [] });
    } catch (error) {
      throw new KafkaUnreachableError(this.settings.brokers, error);
    }
    await this.fencePredecessors();
  }

  /**
   * With stable transactional ids, initialises every slot's id now (InitProducerId), which
   * makes the broker abort at once a transaction a dead predecessor left open under it;
   * readers of its partitions then go on instead of waiting for its timeout. Once per client.
   */
  private fencePredecessors(): Promise<void> {
    if (this.transactional.idPrefix === undefined) return Promise.resolve();
    this.fencing ??= (async () => {
      const producers: KafkaProducer[] = [];
      while (this.transactionalCount < TRANSACTIONAL_PRODUCERS) producers.push(this.newTransactionalProducer());
      const begun = await Promise.allSettled(producers.map(async (producer) => this.begun.set(producer, await producer.beginTransaction())));
      const failed = begun.find((result) => result.status === 'rejected');
      producers.forEach((producer, i) => this.releaseTransactionalProducer(producer, begun[i]!.status === 'rejected'));
      if (failed !== undefined) {
        this.fencing = undefined;
        throw failed.reason;
      }
    })();
    return this.fencing;
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    if (topics.length === 0) return;
    // One CreateTopics per distinct (partitions, replicas, configs), without asking first
    // whether they exist: existing ones answer TOPIC_ALREADY_EXISTS, the others are created.
    // KRaft caps a request at 10,000 metadata records, so stay well under it.
    const groups = new Map<string, TopicSpec[]>();
    for (const topic of topics) {
      const signature = JSON.stringify([topic.partitions, topic.replicationFactor, Object.entries(topic.configs)]);
      const group = groups.get(signature) ?? [];
      group.push(topic);
      groups.set(signature, group);
    }
    const refused = new Map<string, string>();
    let refusal: unknown;
    for (const group of groups.values()) {
      const first = group[0]!;
      for (let i = 0; i < group.length; i += 1000) {
        const names = group.slice(i, i + 1000).map((t) => t.name);
        try {
          await this.admin.createTopics({
            topics: names,
            partitions: first.partitions,
            replicas: first.replicationFactor,
            configs: Object.entries(first.configs).map(([name, value]) => ({ name, value })),
          });
        } catch (error) {
          const ids = apiErrorsOf(error);
          if (ids.length > 0 && ids.every((id) => id === 'TOPIC_ALREADY_EXISTS')) continue;
          // CreateTopics answers per topic: the ones refused with their own error fail alone.
          const answered = refusedTopicsOf(error);
          if (answered.size === 0) throw error;
          for (const [topic, reason] of answered) refused.set(topic, reason);
          refusal = error;
        }
      }
    }
    await this.waitUntilServed(refused.size === 0 ? topics : topics.filter((t) => !refused.has(t.name)));
    if (refused.size > 0) throw new TopicCreationError(refused, refusal);
  }

  /**
   * CreateTopics answers before the topics are usable: first the broker's metadata must
   * list them with a leader, then the leader must serve their partitions (until then,
   * writes fail with NOT_LEADER_OR_FOLLOWER; 1,000 new partitions take seconds on a small
   * broker). Waits for both, asking with ListOffsets, which only a serving leader answers.
   */
  private async waitUntilServed(topics: readonly TopicSpec[]): Promise<void> {
    const budgetMs = this.settings.requestTimeoutMs * 4 + topics.length * 20;
    const deadline = Date.now() + budgetMs;
    for (let i = 0; i < topics.length; i += 500) {
      const slice = topics.slice(i, i + 500);
      let lastError: unknown;
      for (let attempt = 0; ; attempt++) {
        try {
          const metadata = await this.admin.metadata({ topics: slice.map((t) => t.name), forceUpdate: true, retries: 0 });
          if (slice.every((t) => (metadata.topics.get(t.name)?.partitions[0]?.leader ?? -1) >= 0)) {
            await this.admin.listOffsets({
              topics: slice.map((t) => ({ name: t.name, partitions: Array.from({ length: metadata.topics.get(t.name)?.partitionsCount ?? 1 }, (_, p) => ({ partitionIndex: p, timestamp: -1n })) })),
            });
            break;
          }
        } catch (error) {
          // Not served yet (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION) or a broker
          // busy creating thousands of partitions (timeouts): ask again until the deadline.
          lastError = error;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `topics ${slice
              .slice(0, 3)
              .map((t) => t.name)
              .join(', ')}${slice.length > 3 ? ', …' : ''} are not served by a leader after ${budgetMs} ms`,
            { cause: lastError },
          );
        }
        await noDelay(Math.min(5 * 2 ** attempt, 200));
      }
    }
  }

  async topicExists(topic: string, fresh = false): Promise<boolean> {
    try {
      // No retries: the library retries an unknown topic as if it were a transient error.
      const metadata = await this.admin.metadata({ topics: [topic], retries: 0, ...(fresh ? { forceUpdate: true } : {}) });
      return metadata.topics.has(topic);
    } catch (error) {
      if (isUnknownTopic(error)) return false;
      throw error;
    }
  }

  async produce(records: readonly OutgoingRecord[]): Promise<ReadonlyMap<string, bigint>> {
    const result = await this.producer.send({ messages: records.map(toMessage) });
    const offsets = new Map<string, bigint>();
    for (const { topic, partition, offset } of result.offsets ?? []) offsets.set(partitionKey(topic, partition), offset);
    return offsets;
  }

  async highWatermark(topic: string, partition: number): Promise<bigint | undefined> {
    return this.listOffset(topic, partition, -1n);
  }

  async logStartOffset(topic: string, partition: number): Promise<bigint | undefined> {
    return this.listOffset(topic, partition, -2n);
  }

  private async listOffset(topic: string, partition: number, timestamp: bigint): Promise<bigint | undefined> {
    if (!(await this.topicExists(topic))) return undefined;
    try {
      const [answer] = await this.admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp }] }] });
      const found = answer?.partitions.find((p) => p.partitionIndex === partition);
      if (found === undefined) throw new Error(`ListOffsets returned no offset for ${topic}-${partition}`);
      return found.offset;
    } catch (error) {
      if (isUnknownTopic(error)) return undefined;
      throw error;
    }
  }

  private async leaderConnection(topic: string, partition: number): Promise<Awaited<ReturnType<ConnectionPool['get']>> | undefined> {
    let metadata;
    try {
      metadata = await this.admin.metadata({ topics: [topic], retries: 0 });
    } catch (error) {
      if (isUnknownTopic(error)) return undefined;
      throw error;
    }
    const info = metadata.topics.get(topic);
    if (info === undefined) return undefined;
    const leader = info.partitions[partition]?.leader ?? -1;
    const broker: Broker | undefined = metadata.brokers.get(leader);
    if (broker === undefined) throw new Error(`partition ${topic}-${partition} has no leader`);
    return this.readPool.get(broker);
  }

  async read(topic: string, partition: number, offset: bigint, maxBytes: number, wholeFirstBatch = false): Promise<PartitionRead | undefined> {
    const answer = await this.fetch(topic, partition, offset, maxBytes, READ_UNCOMMITTED);
    if (answer === undefined) return undefined;
    const records: IncomingRecord[] = [];
    let nextOffset = offset;
    let firstBatch = true;
    for (const batch of answer.records ?? []) {
      const batchLastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
      const keepAll = wholeFirstBatch && firstBatch && batch.firstOffset >= answer.logStartOffset;
      firstBatch = false;
      for (const record of batch.records) {
        const recordOffset = batch.firstOffset + BigInt(record.offsetDelta);
        if (recordOffset < offset && !keepAll) continue;
        records.push({ offset: recordOffset, key: record.key, value: record.value, headers: record.headers, timestamp: batch.firstTimestamp + record.timestampDelta, batchLastOffset });
      }
      const after = batchLastOffset + 1n;
      if (after > nextOffset) nextOffset = after;
    }
    return { records, nextOffset, highWatermark: answer.highWatermark, logStartOffset: answer.logStartOffset, lastStableOffset: answer.lastStableOffset };
  }

  async readCommitted(topic: string, partition: number, offset: bigint, maxBytes: number): Promise<PartitionRead | undefined> {
    const answer = await this.fetch(topic, partition, offset, maxBytes, READ_COMMITTED);
    if (answer === undefined) return undefined;
    // The broker sends the aborted transactions overlapping the range; their records are
    // dropped here, as the Java consumer does: a producer's records are aborted from the
    // first offset of its aborted transaction up to its ABORT control record.
    const aborted = [...(answer.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
    const abortedProducers = new Set<bigint>();
    let next = 0;
    const records: IncomingRecord[] = [];
    let nextOffset = offset;
    for (const batch of answer.records ?? []) {
      const batchLastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
      while (next < aborted.length && aborted[next]!.firstOffset <= batchLastOffset) abortedProducers.add(aborted[next++]!.producerId);
      const after = batchLastOffset + 1n;
      if (after > nextOffset) nextOffset = after;
      if ((batch.attributes & IS_CONTROL_BATCH) !== 0) {
        // Control record key: version (int16), type (int16; 0 = abort, 1 = commit).
        const key = batch.records[0]?.key;
        if (key !== null && key !== undefined && key.length >= 4 && key.readInt16BE(2) === 0) abortedProducers.delete(batch.producerId);
        continue;
      }
      if ((batch.attributes & IS_TRANSACTIONAL_BATCH) !== 0 && abortedProducers.has(batch.producerId)) continue;
      for (const record of batch.records) {
        const recordOffset = batch.firstOffset + BigInt(record.offsetDelta);
        if (recordOffset < offset) continue;
        records.push({ offset: recordOffset, key: record.key, value: record.value, headers: record.headers, timestamp: batch.firstTimestamp + record.timestampDelta, batchLastOffset });
      }
    }
    return { records, nextOffset, highWatermark: answer.highWatermark, logStartOffset: answer.logStartOffset, lastStableOffset: answer.lastStableOffset };
  }

  /** One sessionless Fetch of a partition; `undefined` when the topic does not exist. */
  private async fetch(topic: string, partition: number, offset: bigint, maxBytes: number, isolationLevel: number): Promise<FetchResponsePartition | undefined> {
    for (let attempt = 0; ; attempt++) {
      const connection = await this.leaderConnection(topic, partition);
      if (connection === undefined) return undefined;
      try {
        // Session id 0 with epoch -1: a sessionless full fetch, safe to run concurrently.
        const response = await fetchV12.api.async(
          connection,
          0,
          1,
          maxBytes,
          isolationLevel,
          0,
          -1,
          [{ topicId: topic, partitions: [{ partition, fetchOffset: offset, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: maxBytes }] }],
          [],
          '',
        );
        const answer = response.responses[0]?.partitions.find((p) => p.partitionIndex === partition);
        if (answer === undefined) throw new Error(`Fetch returned nothing for ${topic}-${partition}`);
        return answer;
      } catch (error) {
        if (hasApiError(error, 'OFFSET_OUT_OF_RANGE')) throw new OffsetOutOfRangeError(topic, partition, offset);
        if (isUnknownTopic(error)) return undefined;
        // Leadership moved or the connection broke: refresh and retry within the budget.
        if (attempt >= this.settings.retries) throw error;
        this.admin.clearMetadata();
        await noDelay(this.settings.retryDelayMs);
      }
    }
  }

  async produceTransactionally(records: readonly OutgoingRecord[], decide: (offsets: ReadonlyMap<string, bigint>) => Promise<boolean>): Promise<boolean> {
    await this.fencePredecessors();
    const producer = await this.transactionalProducer();
    let broken = false;
    try {
      const transaction = this.begun.get(producer) ?? (await producer.beginTransaction());
      this.begun.delete(producer);
      try {
        const result = await transaction.send({ messages: records.map(toMessage) });
        const offsets = new Map<string, bigint>();
        for (const { topic, partition, offset } of result.offsets ?? []) offsets.set(partitionKey(topic, partition), offset);
        if (await decide(offsets)) {
          await transaction.commit();
          return true;
        }
        await transaction.abort();
        return false;
      } catch (error) {
        if (!transaction.completed) {
          // Left open, the broker aborts it after the transaction timeout (requestTimeoutMs);
          // until then readers of its partitions wait at its first offset.
          await transaction.abort().catch(() => (broken = true));
        }
        throw error;
      }
    } catch (error) {
      broken = true;
      if (isFenced(error)) throw new TransactionalIdFencedError(this.slots.get(producer)?.transactionalId ?? '?', error);
      throw error;
    } finally {
      this.releaseTransactionalProducer(producer, broken);
    }
  }

  /** A transactional producer not in a transaction: an idle one, a new one, or the next to be released. */
  private async transactionalProducer(): Promise<KafkaProducer> {
    // The one idle longest: its previous transaction's markers are the most likely written,
    // so its next AddPartitionsToTxn is not answered CONCURRENT_TRANSACTIONS.
    const idle = this.idleTransactional.shift();
    if (idle !== undefined) return idle;
    if (this.transactionalCount < TRANSACTIONAL_PRODUCERS) return this.newTransactionalProducer();
    const { promise, resolve } = Promise.withResolvers<KafkaProducer>();
    this.waitingTransactional.push(resolve);
    return promise;
  }

  /** A transactional producer on a free slot: its id is `<idPrefix>-<slot>`, or random without a prefix. */
  private newTransactionalProducer(): KafkaProducer {
    this.transactionalCount++;
    const slot = this.freeSlots.shift()!;
    const prefix = this.transactional.idPrefix;
    // A random id cannot fence a dead predecessor; a stable one does, at its InitProducerId.
    const transactionalId = prefix !== undefined ? `${prefix}-${slot}` : `${this.settings.clientId}-tx-${randomUUID()}`;
    const producer: KafkaProducer = new Producer({
      ...this.base,
      // CONCURRENT_TRANSACTIONS (the previous transaction's markers not all written yet)
      // clears within milliseconds: retry it soon, not after the connection retry delay.
      retries: Math.max(this.settings.retries, 50),
      retryDelay: Math.min(this.settings.retryDelayMs, 10),
      clientId: `${this.settings.clientId}-tx`,
      idempotent: true,
      acks: -1,
      autocreateTopics: false,
      partitioner: compatibilityPartitioner,
      transactionalId,
      // InitProducerId as a new producer (-1/-1): the library's default (0/0) reads as a bump
      // of producer 0, which the broker answers PRODUCER_FENCED for an id it already knows.
      producerId: -1n,
      producerEpoch: -1,
    });
    this.slots.set(producer, { slot, transactionalId });
    return producer;
  }

  private releaseTransactionalProducer(producer: KafkaProducer, broken: boolean): void {
    if (broken || this.closed) {
      // A producer whose transaction state is unknown is not reused: a new one takes its slot
      // (a stable id is initialised again, which aborts whatever the old one left open).
      this.transactionalCount--;
      const held = this.slots.get(producer);
      this.slots.delete(producer);
      this.begun.delete(producer);
      if (held !== undefined) this.freeSlots.push(held.slot);
      void producer.close().catch(() => undefined);
      if (!this.closed && this.waitingTransactional.length > 0) void this.transactionalProducer().then((fresh) => this.releaseTransactionalProducer(fresh, false));
      return;
    }
    const waiting = this.waitingTransactional.shift();
    if (waiting !== undefined) waiting(producer);
    else this.idleTransactional.push(producer);
  }

  async endOffsets(partitions: readonly { readonly topic: string; readonly partition: number }[], committed: boolean): Promise<ReadonlyMap<string, bigint>> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const answer = await this.admin.listOffsets({
      isolationLevel: committed ? READ_COMMITTED : READ_UNCOMMITTED,
      topics: [...byTopic].map(([name, ids]) => ({ name, partitions: ids.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) })),
    });
    const offsets = new Map<string, bigint>();
    for (const topic of answer) for (const p of topic.partitions) offsets.set(partitionKey(topic.name, p.partitionIndex), p.offset);
    return offsets;
  }

  async deleteRecordsBefore(topic: string, partition: number, offset: bigint): Promise<void> {
    await this.admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition, offset }] }] });
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    for (let i = 0; i < topics.length; i += 1000) {
      try {
        await this.admin.deleteTopics({ topics: topics.slice(i, i + 1000) });
      } catch (error) {
        if (!isUnknownTopic(error)) throw error;
      }
    }
  }

  async subscribe(options: GroupSubscriptionOptions): Promise<GroupSubscription> {
    const { settings } = this;
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...this.base,
      clientId: `${settings.clientId}-stream`,
      groupId: options.groupId,
    });
    let stream;
    try {
      // The library's defaults (50 MB per Fetch, every record of an answer pushed at once) let one
      // Fetch hold ~250,000 small records, about 1 GiB of message objects: the fetch size bounds
      // what arrives at once, the high-water mark when fetching stops.
      stream = await consumer.consume({
        topics: [...options.topics],
        autocommit: false,
        mode: 'committed',
        fallbackMode: options.from,
        maxWaitTime: 500,
        maxBytes: options.fetchMaxBytes,
        maxBytesPerPartition: options.fetchMaxBytes,
        highWaterMark: options.bufferSize,
      });
    } catch (error) {
      await consumer.close(true).catch(() => undefined);
      throw error;
    }
    const subscriptions = this.subscriptions;
    const messages = stream as AsyncIterable<Message<Buffer, Buffer, Buffer, Buffer>>;
    const subscription: GroupSubscription = {
      async *[Symbol.asyncIterator](): AsyncGenerator<ConsumedRecord> {
        for await (const message of messages) {
          yield {
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
            key: message.key ?? null,
            value: message.value ?? null,
            headers: message.headerEntries,
            timestamp: message.timestamp,
          };
        }
      },
      async commit(records: readonly ConsumedRecord[]): Promise<void> {
        // After a rebalance the stream still yields the records it had fetched of partitions now
        // assigned to another member. Committing them would move that member's committed offset
        // back (the coordinator takes any member's commit of the current generation), and the
        // next rebalance would redeliver everything after it: measured 78,649 of 300,000 events.
        const assigned = consumer.assignments;
        const owned = (record: ConsumedRecord): boolean => assigned === null || assigned.some((a) => a.topic === record.topic && a.partitions.includes(record.partition));
        const last = new Map<string, ConsumedRecord>();
        for (const record of records) {
          if (!owned(record)) continue;
          const key = partitionKey(record.topic, record.partition);
          const seen = last.get(key);
          if (seen === undefined || seen.offset < record.offset) last.set(key, record);
        }
        if (last.size === 0) return;
        // The group commits the offset of the next record to read.
        await consumer.commit({ offsets: [...last.values()].map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset + 1n, leaderEpoch: -1 })) });
      },
      get buffered(): number {
        return stream.readableLength;
      },
      async close(): Promise<void> {
        subscriptions.delete(subscription);
        await stream.close().catch(() => undefined);
        await consumer.close(true);
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((s) => s.close()));
    const transactional = this.idleTransactional.splice(0);
    await Promise.allSettled([this.producer.close(), this.admin.close(), this.readPool.close(), ...transactional.map((p) => p.close())]);
  }
}

/** The platformatic client options every client of the adapter shares. */
function baseOptions(settings: PlatformaticClientSettings) {
  return {
    bootstrapBrokers: [...settings.brokers],
    connectTimeout: settings.connectTimeoutMs,
    timeout: settings.requestTimeoutMs,
    retries: settings.retries,
    retryDelay: settings.retryDelayMs,
    metadataMaxAge: settings.metadataMaxAgeMs,
    ...(settings.tls !== undefined ? { tls: settings.tls } : {}),
    ...(settings.sasl !== undefined ? { sasl: settings.sasl } : {}),
  };
}
