import { type AtomicWrite, type Journal, type JournalCapabilities, PayloadTooLargeError, type PersistentRepr, type ReplayRange, SequenceNumberTakenError } from '@troupe/persistence';
import { type EncodedEnvelope, EnvelopeDecoder, encodeEnvelope } from './event-envelope.js';
import { PlatformaticKafkaClient } from './internal/platformatic-kafka-client.js';
import { type KafkaClient, type OutgoingRecord, type PartitionRead, type TopicSpec, partitionKey } from './kafka-client.js';
import { JournalTopicCorruptError, OffsetOutOfRangeError } from './kafka-errors.js';
import { type KafkaJournalOptions, type ResolvedJournalOptions, resolveJournalOptions } from './kafka-options.js';
import { topicFor } from './topic-names.js';

/** Journal topics hold one partition; events of one actor are totally ordered in it. */
const PARTITION = 0;
/** Bytes of the first read of a replay: small actors need no more, big ones then read `replayFetchBytes` at a time. */
const FIRST_READ_BYTES = 256 * 1024;
/** Most prefetched first pages kept at once, and for how long. */
const MAX_PREFETCHED = 1000;
/** Most persistence ids whose highest sequence number this instance remembers. */
const MAX_REMEMBERED = 100_000;
const PREFETCH_TTL_MS = 5000;

interface AcceptedWrite {
  readonly write: AtomicWrite;
  readonly topic: string;
  readonly encoded: readonly EncodedEnvelope[];
  readonly bytes: number;
}

/**
 * A journal on Apache Kafka: one topic per persistence id (`journal-<id>`, one partition,
 * `cleanup.policy=delete`, infinite retention by default), written by an idempotent
 * producer, where the event with sequence number `n` is the record at offset `n - 1`.
 *
 * - Writes: a group commit becomes one produce request (split above `maxRequestBytes`);
 *   each atomic write is one record batch, stored all or nothing. The journal checks that
 *   Kafka placed every write at the offsets its sequence numbers demand.
 * - Highest sequence number: the partition's high watermark (one ListOffsets request);
 *   it survives deletion, because Kafka never reuses offsets.
 * - Replay: group-less Fetch requests from `fromSequenceNr - 1` up to the high watermark
 *   seen by the first one; no consumer group, no rebalance.
 * - Deletion: Kafka DeleteRecords, so deleted events stay deleted across restarts.
 * - Event topics: every stored event is then published to the topics its
 *   `eventTopicMapper` chooses (default: `events`), keyed by persistence id, in the
 *   envelope format of `event-envelope.ts`, before the write is acknowledged.
 *
 * @example
 * const journal = await KafkaJournal.connect({ brokers: ['127.0.0.1:9092'] });
 * Persistence.configure(system, { journals: { default: journal } });
 */
export class KafkaJournal implements Journal {
  /** In-process notifications only: writes by other processes are not seen. */
  readonly capabilities: JournalCapabilities = { persistenceIdsQuery: false, eventsByTagQuery: false, changeNotifications: true };
  private readonly options: ResolvedJournalOptions;
  private readonly client: KafkaClient;
  private readonly knownTopics = new Set<string>();
  /** Topic names by persistence id (sanitising and hashing once per id). */
  private readonly topics = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  /** First pages read by `readHighestSequenceNr`, kept for the replay that follows it in recovery. */
  /** Highest sequence number per id as this instance last saw it (read or written). */
  private readonly highestSeen = new Map<string, number>();
  private readonly prefetched = new Map<string, { readonly offset: bigint; readonly read: PartitionRead; readonly at: number }>();

  /**
   * Creates the journal without any I/O; the first call connects. Prefer
   * `KafkaJournal.connect`, which fails at once when Kafka cannot be reached.
   * @throws TypeError or RangeError naming a bad option
   */
  constructor(options: KafkaJournalOptions) {
    this.options = resolveJournalOptions(options);
    this.client = new PlatformaticKafkaClient(this.options.connection);
  }

  /**
   * Creates a journal and checks that a broker answers.
   * @throws KafkaUnreachableError naming the broker addresses when none answers
   */
  static async connect(options: KafkaJournalOptions): Promise<KafkaJournal> {
    const journal = new KafkaJournal(options);
    try {
      await journal.client.connect();
    } catch (error) {
      await journal.close().catch(() => undefined);
      throw error;
    }
    return journal;
  }

  /** The topic holding the events of `persistenceId`. */
  topicOf(persistenceId: string): string {
    let topic = this.topics.get(persistenceId);
    if (topic === undefined) {
      topic = topicFor(this.options.journalTopicPrefix, persistenceId);
      if (this.topics.size >= MAX_REMEMBERED) this.topics.delete(this.topics.keys().next().value as string);
      this.topics.set(persistenceId, topic);
    }
    return topic;
  }

  async writeMessages(writes: readonly AtomicWrite[]): Promise<readonly (Error | undefined)[]> {
    const results: (Error | undefined)[] = writes.map(() => undefined);
    const accepted: AcceptedWrite[] = [];
    writes.forEach((write, index) => {
      this.prefetched.delete(write.persistenceId);
      const rejection = this.check(write);
      if (rejection !== undefined) {
        results[index] = rejection;
        return;
      }
      const encoded = write.events.map(encodeEnvelope);
      const bytes = encoded.reduce((sum, e) => sum + e.size, 0);
      // One atomic write is one record batch: it cannot be split across requests.
      if (bytes > this.options.maxRequestBytes) {
        results[index] = new PayloadTooLargeError(bytes, this.options.maxRequestBytes);
        return;
      }
      accepted.push({ write, topic: this.topicOf(write.persistenceId), encoded, bytes });
    });
    if (accepted.length === 0) return results;

    await this.ensureTopics(
      accepted.map((a) => a.topic),
      (name) => ({ name, partitions: 1, replicationFactor: this.options.replicationFactor, configs: this.options.journalTopicConfigs }),
    );
    for (const chunk of chunksOf(accepted, this.options.maxRequestBytes)) {
      const records: OutgoingRecord[] = [];
      for (const { topic, encoded } of chunk) {
        for (const e of encoded) records.push({ topic, partition: PARTITION, key: e.key, value: e.value, headers: e.headers, timestamp: e.timestamp });
      }
      const offsets = await this.client.produce(records);
      for (const { topic, write } of chunk) {
        const expected = BigInt(write.events[0]!.sequenceNr - 1);
        const actual = offsets.get(partitionKey(topic, PARTITION));
        // Offsets are the sequence numbers: a write that landed elsewhere means another
        // writer, or a topic that is not a journal topic. Stop rather than corrupt recovery.
        if (actual !== expected) throw new JournalTopicCorruptError(topic, `events from ${expected + 1n} were stored at offset ${actual} (expected ${expected})`);
        this.remember(write.persistenceId, write.events[write.events.length - 1]!.sequenceNr);
      }
    }
    await this.publishToEventTopics(accepted);
    if (this.listeners.size > 0) setImmediate(() => this.notify());
    return results;
  }

  private check(write: AtomicWrite): Error | undefined {
    // Two writers of one id in this process: refuse before Kafka stores events at offsets
    // that do not match their numbers. (Writers in two processes are only detected after
    // the fact, by the offset check: Kafka has no conditional append.)
    const seen = this.highestSeen.get(write.persistenceId);
    const first = write.events[0]!.sequenceNr;
    if (seen !== undefined && first <= seen) return new SequenceNumberTakenError(write.persistenceId, first, seen);
    for (const event of write.events) {
      if (event.payload.byteLength > this.options.maxPayloadBytes) return new PayloadTooLargeError(event.payload.byteLength, this.options.maxPayloadBytes);
    }
    return undefined;
  }

  private async publishToEventTopics(accepted: readonly AcceptedWrite[]): Promise<void> {
    const records: (OutgoingRecord & { readonly size: number })[] = [];
    const topics = new Set<string>();
    for (const { write, encoded } of accepted) {
      write.events.forEach((event, i) => {
        const e = encoded[i]!;
        for (const topic of this.options.eventTopicMapper.topicsFor(event)) {
          topics.add(topic);
          records.push({ topic, key: e.key, value: e.value, headers: e.headers, timestamp: e.timestamp, size: e.size });
        }
      });
    }
    if (records.length === 0) return;
    if (this.options.createEventTopics) {
      await this.ensureTopics([...topics], (name) => ({ name, partitions: this.options.eventTopicPartitions, replicationFactor: this.options.replicationFactor, configs: {} }));
    }
    let start = 0;
    let bytes = 0;
    for (let i = 0; i <= records.length; i++) {
      if (i === records.length || (bytes + records[i]!.size > this.options.maxRequestBytes && i > start)) {
        await this.client.produce(records.slice(start, i));
        start = i;
        bytes = 0;
      }
      if (i < records.length) bytes += records[i]!.size;
    }
  }

  private async ensureTopics(names: readonly string[], spec: (name: string) => TopicSpec): Promise<void> {
    const missing = [...new Set(names)].filter((name) => !this.knownTopics.has(name));
    if (missing.length === 0) return;
    await this.client.ensureTopics(missing.map(spec));
    for (const name of missing) this.knownTopics.add(name);
  }

  async *replayMessages(persistenceId: string, range: ReplayRange): AsyncIterable<readonly PersistentRepr[]> {
    if (range.max <= 0 || range.fromSequenceNr > range.toSequenceNr) return;
    const topic = this.topicOf(persistenceId);
    let offset = BigInt(Math.max(1, range.fromSequenceNr) - 1);
    // Sequence number n is offset n - 1, so "n ≤ to" is "offset < to".
    const limit = range.toSequenceNr === Infinity ? undefined : BigInt(range.toSequenceNr);
    let remaining = range.max;
    let end: bigint | undefined;
    let read: PartitionRead | undefined = this.takePrefetched(persistenceId, offset);
    const decoder = new EnvelopeDecoder();
    for (let first = true; ; first = false) {
      try {
        if (!(first && read !== undefined)) read = await this.client.read(topic, PARTITION, offset, first ? Math.min(FIRST_READ_BYTES, this.options.replayFetchBytes) : this.options.replayFetchBytes);
      } catch (error) {
        if (!(error instanceof OffsetOutOfRangeError)) throw error;
        // Below the log start (deleted) or past the end: move up to what exists.
        const high = await this.client.highWatermark(topic, PARTITION);
        if (high === undefined || offset >= high) return;
        const start = await this.client.logStartOffset(topic, PARTITION);
        if (start === undefined || start <= offset) throw error;
        offset = start;
        continue;
      }
      if (read === undefined) return;
      if (end === undefined) end = limit !== undefined && limit < read.highWatermark ? limit : read.highWatermark;
      const page: PersistentRepr[] = [];
      for (const record of read.records) {
        if (record.offset >= end || remaining <= 0) break;
        const event = decoder.decode(record);
        if (event.sequenceNr !== Number(record.offset) + 1 || event.persistenceId !== persistenceId) {
          throw new JournalTopicCorruptError(topic, `offset ${record.offset} holds ${event.persistenceId}#${event.sequenceNr}, expected ${persistenceId}#${record.offset + 1n}`);
        }
        page.push(event);
        remaining--;
      }
      if (page.length > 0) yield page;
      if (remaining <= 0 || read.nextOffset >= end) return;
      if (read.nextOffset <= offset) throw new JournalTopicCorruptError(topic, `a read at offset ${offset} below the end ${end} returned no records`);
      offset = read.nextOffset;
    }
  }

  /**
   * The high watermark of the id's topic. Recovery asks this right before replaying from
   * `fromSequenceNr`, so it is answered with a Fetch at that offset (the high watermark
   * comes in the same response) and the records are kept for that replay: a small actor
   * recovers in one round trip.
   */
  async readHighestSequenceNr(persistenceId: string, fromSequenceNr = 1): Promise<number> {
    const topic = this.topicOf(persistenceId);
    const offset = BigInt(Math.max(1, Number.isSafeInteger(fromSequenceNr) ? fromSequenceNr : 1) - 1);
    let read: PartitionRead | undefined;
    try {
      read = await this.client.read(topic, PARTITION, offset, Math.min(FIRST_READ_BYTES, this.options.replayFetchBytes));
    } catch (error) {
      if (!(error instanceof OffsetOutOfRangeError)) throw error;
      // Deleted below the hint, or the hint is past the end: ask for the end alone.
      const high = await this.client.highWatermark(topic, PARTITION);
      if (high !== undefined) this.remember(persistenceId, Number(high));
      return high === undefined ? 0 : Number(high);
    }
    if (read === undefined) return 0;
    this.remember(persistenceId, Number(read.highWatermark));
    // The topic exists: the actor's first write needs no CreateTopics.
    this.knownTopics.add(topic);
    if (read.records.length > 0) {
      if (this.prefetched.size >= MAX_PREFETCHED) this.prefetched.delete(this.prefetched.keys().next().value as string);
      this.prefetched.set(persistenceId, { offset, read, at: Date.now() });
    }
    return Number(read.highWatermark);
  }

  private remember(persistenceId: string, highest: number): void {
    this.highestSeen.delete(persistenceId);
    if (this.highestSeen.size >= MAX_REMEMBERED) this.highestSeen.delete(this.highestSeen.keys().next().value as string);
    this.highestSeen.set(persistenceId, highest);
  }

  private takePrefetched(persistenceId: string, offset: bigint): PartitionRead | undefined {
    const entry = this.prefetched.get(persistenceId);
    if (entry === undefined) return undefined;
    this.prefetched.delete(persistenceId);
    return entry.offset === offset && Date.now() - entry.at < PREFETCH_TTL_MS ? entry.read : undefined;
  }

  async deleteMessagesTo(persistenceId: string, toSequenceNr: number): Promise<void> {
    if (!(toSequenceNr >= 1)) return;
    this.prefetched.delete(persistenceId);
    const topic = this.topicOf(persistenceId);
    const high = await this.client.highWatermark(topic, PARTITION);
    if (high === undefined || high === 0n) return;
    const target = toSequenceNr === Infinity || BigInt(Math.floor(toSequenceNr)) > high ? high : BigInt(Math.floor(toSequenceNr));
    await this.client.deleteRecordsBefore(topic, PARTITION, target);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // One listener's throw must not break the journal or the other listeners.
      }
    }
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.prefetched.clear();
    this.highestSeen.clear();
    await this.client.close();
  }
}

/** Splits writes into groups of at most `maxBytes`. */
function* chunksOf(writes: readonly AcceptedWrite[], maxBytes: number): Generator<AcceptedWrite[]> {
  let chunk: AcceptedWrite[] = [];
  let bytes = 0;
  for (const write of writes) {
    if (chunk.length > 0 && bytes + write.bytes > maxBytes) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(write);
    bytes += write.bytes;
  }
  if (chunk.length > 0) yield chunk;
}
