import {
  type AtomicWrite,
  type Journal,
  type JournalCapabilities,
  JournalListeners,
  type OrderedPersistenceId,
  type OrderedRepr,
  PayloadTooLargeError,
  type PersistentRepr,
  type ReplayRange,
  SequenceNumberTakenError,
  WriterFencedError,
} from '@troupe/persistence';
import { type EncodedEnvelope, EnvelopeDecoder, encodeEnvelope } from './event-envelope.js';
import { ControlHeaders, type HistoryState, type LogPosition, checkpointOf, encodeCheckpoint, inspectRecord, judgeBatch, refusalAt, stateAtLogStart } from './internal/history-rule.js';
import { PlatformaticKafkaClient } from './internal/platformatic-kafka-client.js';
import { type IndexItem, QueryIndexWriter, needsIndex } from './internal/query-index.js';
import { type IncomingRecord, type KafkaClient, type OutgoingRecord, type PartitionRead, type TopicSpec, partitionKey } from './kafka-client.js';
import { JournalTopicCorruptError, OffsetOutOfRangeError, TagTopicError, TopicCreationError } from './kafka-errors.js';
import { type KafkaJournalOptions, type ResolvedJournalOptions, resolveJournalOptions } from './kafka-options.js';
import { tagTopicFor, topicFor } from './topic-names.js';

/** Journal topics hold one partition; events of one actor are totally ordered in it. */
const PARTITION = 0;
/** Bytes of the first read of a replay: small actors need no more, big ones then read `replayFetchBytes` at a time. */
const FIRST_READ_BYTES = 256 * 1024;
/** Most prefetched first pages kept at once, and for how long. */
const MAX_PREFETCHED = 1000;
/** Most persistence ids whose log position this instance remembers. */
const MAX_REMEMBERED = 100_000;
const PREFETCH_TTL_MS = 5000;
/** Attempts of a full deletion to place its start marker with no concurrent write before it. */
const DELETE_ATTEMPTS = 3;
/** How far before the end a recovery looks for a checkpoint to judge the end from. */
const TAIL_OFFSETS = 128n;

interface AcceptedWrite {
  readonly index: number;
  readonly write: AtomicWrite;
  readonly topic: string;
  readonly encoded: readonly EncodedEnvelope[];
  readonly bytes: number;
}

/** An accepted write that joined the history, with the offset after its batch. */
interface StoredWrite extends AcceptedWrite {
  readonly end: bigint;
}

/** A record of the history found by a scan, with its sequence number. */
interface HistoryRecord {
  readonly record: IncomingRecord;
  readonly sequenceNr: number;
}

/** One read of a scan, judged by the history rule. */
interface JudgedPage {
  readonly read: PartitionRead;
  /** Where the page starts and the state there. */
  readonly from: LogPosition;
  /** Where the next page starts and the state there. */
  readonly to: LogPosition;
  /** The page's records that belong to the history, in order. */
  readonly history: readonly HistoryRecord[];
}

/** The page a recovery's replay starts with, read by `readHighestSequenceNr`. */
interface Prefetched {
  readonly fromSequenceNr: number;
  readonly page: JudgedPage;
  /** The highest number found, and the offset it was judged up to. */
  readonly highest: number;
  readonly end: bigint;
  readonly at: number;
}

/**
 * A journal on Apache Kafka: one topic per persistence id (`journal-<id>`, one partition,
 * `cleanup.policy=delete`, infinite retention by default), written by an idempotent
 * producer.
 *
 * Single writer: Kafka has no conditional append, so the log is the arbiter. `claimWriter`
 * appends a fence record naming the claiming writer; the history is the records that the
 * rule of `internal/history-rule.ts` accepts in offset order (the fence holder's batches
 * whose numbers continue the history), and every reader and every write's acknowledgement
 * applies that same rule. A write that the rule does not accept stays in the log as
 * skipped junk and is refused (`SequenceNumberTakenError`, `WriterFencedError`), never
 * acknowledged. Topics written before fences existed (event n at offset n - 1) read the same.
 *
 * - Writes: a group commit becomes one produce request (split above `maxRequestBytes`);
 *   each atomic write is one record batch, stored all or nothing. A write that landed right
 *   after what this instance last wrote or read of the id is acknowledged at once; otherwise
 *   the records between are read and judged first.
 * - Highest sequence number and replay: a scan of the partition from a position this
 *   instance knows (after its own writes and claims) or from the log start, with group-less
 *   Fetch requests; the first page of a recovery's replay is kept from its highest-number read.
 * - Deletion: Kafka DeleteRecords up to the first surviving event (or a start marker when
 *   everything is deleted), so deleted events stay deleted across restarts.
 * - Queries: a write that joined the history is indexed before it is acknowledged (its
 *   tagged events copied to tag topics, an id's first write to the persistence-ids topic)
 *   in a Kafka transaction with an index marker in the journal topic, exactly once per write
 *   (`internal/query-index.ts`); a recovery indexes a last write its writer left unindexed.
 *   `currentEventsByTag` / `currentPersistenceIds` read those one-partition topics read
 *   committed; the query offset is the Kafka offset + 1.
 * - Event topics: every acknowledged event is then published to the topics its
 *   `eventTopicMapper` chooses (default: `events`), keyed by persistence id, in the
 *   envelope format of `event-envelope.ts`, before the write is acknowledged.
 *
 * @example
 * const journal = await KafkaJournal.connect({ brokers: ['127.0.0.1:9092'] });
 * Persistence.configure(system, { journals: { default: journal } });
 */
export class KafkaJournal implements Journal {
  /** Queries read the index topics (see `internal/query-index.ts`); notifications are in-process only: writes by other processes are not seen. */
  readonly capabilities: JournalCapabilities = { persistenceIdsQuery: true, eventsByTagQuery: true, changeNotifications: true };
  private readonly options: ResolvedJournalOptions;
  private readonly client: KafkaClient;
  private readonly knownTopics = new Set<string>();
  /** Topic names by persistence id (sanitising and hashing once per id). */
  private readonly topics = new Map<string, string>();
  private readonly listeners = new JournalListeners();
  /**
   * Per id, the furthest log position this instance judged and the history's state there
   * (a fact about an immutable prefix of the log, so it stays true; only ever moved forward).
   */
  private readonly positions = new Map<string, LogPosition>();
  /** The page holding the first event a recovery will replay, read by `readHighestSequenceNr`. */
  private readonly prefetched = new Map<string, Prefetched>();
  /** Per id, the last sequence number up to which this instance knows the history indexed. */
  private readonly indexedThrough = new Map<string, number>();
  private readonly indexWriter: QueryIndexWriter;

  /**
   * Creates the journal without any I/O; the first call connects. Prefer
   * `KafkaJournal.connect`, which fails at once when Kafka cannot be reached.
   * @throws TypeError or RangeError naming a bad option
   */
  constructor(options: KafkaJournalOptions) {
    this.options = resolveJournalOptions(options);
    this.client = new PlatformaticKafkaClient(this.options.connection, this.options.transactionalIdPrefix !== undefined ? { idPrefix: this.options.transactionalIdPrefix } : {});
    // An undecided transaction is aborted by the broker after its timeout (requestTimeoutMs)
    // and its abort check (transaction.abort.timed.out.transaction.cleanup.interval.ms, 10 s).
    const decisionTimeoutMs = 2 * this.options.connection.requestTimeoutMs + 15_000;
    this.indexWriter = new QueryIndexWriter(
      this.client,
      {
        tagTopic: (tag) => this.tagTopicOf(tag),
        persistenceIdsTopic: this.options.persistenceIdsTopic,
        ensure: (names) => this.ensureJournalTopics(names),
      },
      decisionTimeoutMs,
    );
  }

  /** The topic indexing the events tagged `tag` (`eventsByTag`). */
  tagTopicOf(tag: string): string {
    return tagTopicFor(this.options.tagTopicPrefix, tag);
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
    const refusedHere: Promise<void>[] = [];
    const refuse = (index: number, write: AtomicWrite, refusal: Error) => {
      refusedHere.push(this.fencedOr(write, refusal).then((final) => void (results[index] = final)));
    };
    writes.forEach((write, index) => {
      this.prefetched.delete(write.persistenceId);
      const rejection = this.check(write);
      if (rejection !== undefined) {
        refuse(index, write, rejection);
        return;
      }
      const encoded = write.events.map(encodeEnvelope);
      const bytes = encoded.reduce((sum, e) => sum + e.size, 0);
      // One atomic write is one record batch: it cannot be split across requests.
      if (bytes > this.options.maxRequestBytes) {
        refuse(index, write, new PayloadTooLargeError(bytes, this.options.maxRequestBytes));
        return;
      }
      accepted.push({ index, write, topic: this.topicOf(write.persistenceId), encoded, bytes });
    });
    // A tag whose topic the broker refuses to create refuses the writes carrying it, before
    // anything of them is stored; the rest of the group commit goes on.
    const blockedTags = await this.ensureTagTopics(accepted);
    if (blockedTags.size > 0) {
      for (let i = accepted.length - 1; i >= 0; i--) {
        const { write, index } = accepted[i]!;
        const blocked = write.events.flatMap((e) => e.tags).find((tag) => blockedTags.has(tag));
        if (blocked === undefined) continue;
        accepted.splice(i, 1);
        refuse(index, write, blockedTags.get(blocked)!);
      }
    }
    // Settled before anything is produced, so no read of an id races its own write.
    if (refusedHere.length > 0) await Promise.all(refusedHere);
    if (accepted.length === 0) return results;

    await this.ensureJournalTopics(accepted.map((a) => a.topic));
    const stored: StoredWrite[] = [];
    for (const chunk of chunksOf(accepted, this.options.maxRequestBytes)) {
      const records: OutgoingRecord[] = [];
      for (const { topic, encoded, write } of chunk) {
        // Each record states what this instance knows of the history (a checkpoint), so
        // that readers can start judging near it instead of at the log start.
        const known = this.positions.get(write.persistenceId);
        const checkpoint = known === undefined ? undefined : ([ControlHeaders.at, encodeCheckpoint(known, write.events[0]!.writerUuid)] as const);
        for (const e of encoded) {
          const headers = checkpoint === undefined ? e.headers : [...e.headers, checkpoint];
          records.push({ topic, partition: PARTITION, key: e.key, value: e.value, headers, timestamp: e.timestamp });
        }
      }
      const offsets = await this.client.produce(records);
      const verdicts = await Promise.all(chunk.map((a) => this.judgeOwnWrite(a, offsets.get(partitionKey(a.topic, PARTITION)))));
      chunk.forEach((a, i) => {
        const refusal = verdicts[i];
        if (refusal === undefined) stored.push({ ...a, end: offsets.get(partitionKey(a.topic, PARTITION))! + BigInt(a.write.events.length) });
        else results[a.index] = refusal;
      });
    }
    // Only writes that joined the history are indexed, and before they are acknowledged: a
    // failure here fails the call, and the actor's next recovery indexes what is missing.
    const markers = await this.indexWriter.index(stored.map((a) => ({ persistenceId: a.write.persistenceId, journalTopic: a.topic, end: a.end, events: a.write.events })));
    for (const a of stored) this.noteIndexed(a.write.persistenceId, a.write.events[a.write.events.length - 1]!.sequenceNr);
    await this.skipOwnMarkers(markers);
    await this.publishToEventTopics(stored);
    if (stored.length > 0) this.listeners.notify();
    return results;
  }

  /**
   * A write refused without producing it (too large, or a number this instance has seen
   * taken) is still refused as fenced when another writer holds the id: fenced wins over
   * every other refusal (the SPI contract). This instance may not have seen the latest
   * fence, so it reads on to the log's end first; a rare path, never taken by good writes.
   */
  private async fencedOr(write: AtomicWrite, refusal: Error): Promise<Error> {
    const persistenceId = write.persistenceId;
    const writer = write.events[0]!.writerUuid;
    await this.readHighestSequenceNr(persistenceId, (this.positions.get(persistenceId)?.state.last ?? 0) + 1);
    this.prefetched.delete(persistenceId);
    const holder = this.positions.get(persistenceId)?.state.holder;
    return holder !== undefined && holder !== writer ? new WriterFencedError(persistenceId, writer) : refusal;
  }

  private check(write: AtomicWrite): Error | undefined {
    // Below what this instance already saw of the history: refuse before storing anything.
    const known = this.positions.get(write.persistenceId);
    const first = write.events[0]!.sequenceNr;
    if (known !== undefined && first <= known.state.last) return new SequenceNumberTakenError(write.persistenceId, first, known.state.last);
    for (const event of write.events) {
      if (event.payload.byteLength > this.options.maxPayloadBytes) return new PayloadTooLargeError(event.payload.byteLength, this.options.maxPayloadBytes);
    }
    return undefined;
  }

  /**
   * Decides whether the write stored at `offset` joined the history: at once when it landed
   * where this instance expected it, else by judging the records before it. Resolves with
   * the refusal when it did not join (it then stays in the log as skipped junk).
   */
  private async judgeOwnWrite({ write, topic }: AcceptedWrite, offset: bigint | undefined): Promise<Error | undefined> {
    const persistenceId = write.persistenceId;
    if (offset === undefined) throw new JournalTopicCorruptError(topic, `the produce of ${persistenceId} returned no offset`);
    const writer = write.events[0]!.writerUuid;
    const first = write.events[0]!.sequenceNr;
    let known = this.positions.get(persistenceId);
    if (known === undefined || known.offset !== offset) {
      // Someone else appended since (or this instance never read the id): judge what is between.
      known = await this.scanTo(persistenceId, topic, known !== undefined && known.offset <= offset ? known : undefined, offset);
    }
    const after = offset + BigInt(write.events.length);
    const refusal = refusalAt(known.state, writer, first);
    if (refusal === undefined && write.events.every((e, i) => e.writerUuid === writer && e.sequenceNr === first + i)) {
      this.advance(persistenceId, { offset: after, state: { last: write.events[write.events.length - 1]!.sequenceNr, holder: known.state.holder } });
      return undefined;
    }
    this.advance(persistenceId, { offset: after, state: known.state });
    if (refusal === 'fenced') return new WriterFencedError(persistenceId, writer);
    return new SequenceNumberTakenError(persistenceId, first, known.state.last);
  }

  /** The position at `end` (exclusive), judging the log from `start` (or the log start). */
  private async scanTo(persistenceId: string, topic: string, start: LogPosition | undefined, end: bigint): Promise<LogPosition> {
    let position: LogPosition | undefined = start;
    for await (const page of this.judgedPages(persistenceId, topic, start, end, this.options.replayFetchBytes)) position = page.to;
    if (position === undefined || position.offset < end) throw new JournalTopicCorruptError(topic, `could not read the records of ${persistenceId} before offset ${end}`);
    return position;
  }

  /**
   * Moves this instance's position past its own index marker and the transaction's commit
   * record when they are provably all that follows the write: the log's end is two past
   * the marker (high watermark) and everything before it is decided (last stable offset),
   * so the one record between is the commit record. The id's next write then lands where
   * expected and is acknowledged without reading the log (two ListOffsets per call instead
   * of a Fetch per id).
   */
  private async skipOwnMarkers(markers: ReadonlyMap<IndexItem, bigint>): Promise<void> {
    const candidates = [...markers].filter(([item, marker]) => marker === item.end && this.positions.get(item.persistenceId)?.offset === item.end);
    if (candidates.length === 0) return;
    const partitions = candidates.map(([item]) => ({ topic: item.journalTopic, partition: PARTITION }));
    // In this order: the high watermark only grows and the last stable offset never passes
    // it, so a high watermark of marker + 2 read after a last stable offset of marker + 2
    // means both held at the first read, when the transaction was decided: its commit record
    // was then in the log, above the marker and below marker + 2.
    const stable = await this.client.endOffsets(partitions, true);
    const high = await this.client.endOffsets(partitions, false);
    for (const [item, marker] of candidates) {
      const key = partitionKey(item.journalTopic, PARTITION);
      const known = this.positions.get(item.persistenceId);
      if (known?.offset !== item.end || stable.get(key) !== marker + 2n || high.get(key) !== marker + 2n) continue;
      this.advance(item.persistenceId, { offset: marker + 2n, state: known.state });
    }
  }

  private noteIndexed(persistenceId: string, sequenceNr: number): void {
    if ((this.indexedThrough.get(persistenceId) ?? 0) >= sequenceNr) return;
    this.indexedThrough.delete(persistenceId);
    if (this.indexedThrough.size >= MAX_REMEMBERED) this.indexedThrough.delete(this.indexedThrough.keys().next().value as string);
    this.indexedThrough.set(persistenceId, sequenceNr);
  }

  private advance(persistenceId: string, position: LogPosition): void {
    const known = this.positions.get(persistenceId);
    if (known !== undefined && known.offset >= position.offset) return;
    this.positions.delete(persistenceId);
    if (this.positions.size >= MAX_REMEMBERED) this.positions.delete(this.positions.keys().next().value as string);
    this.positions.set(persistenceId, position);
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

  /** Creates the missing tag topics of the writes; resolves with the tags whose topic the broker refused. */
  private async ensureTagTopics(writes: readonly AcceptedWrite[]): Promise<ReadonlyMap<string, TagTopicError>> {
    const tagOfTopic = new Map<string, string>();
    for (const { write } of writes) {
      for (const event of write.events) {
        for (const tag of event.tags) {
          const topic = this.tagTopicOf(tag);
          if (!this.knownTopics.has(topic)) tagOfTopic.set(topic, tag);
        }
      }
    }
    const blocked = new Map<string, TagTopicError>();
    if (tagOfTopic.size === 0) return blocked;
    try {
      await this.ensureJournalTopics([...tagOfTopic.keys()]);
    } catch (error) {
      // Anything but a per-topic refusal (an unreachable broker) fails the whole call.
      if (!(error instanceof TopicCreationError)) throw error;
      for (const [topic, reason] of error.refused) {
        const tag = tagOfTopic.get(topic);
        if (tag !== undefined) blocked.set(tag, new TagTopicError(tag, topic, new Error(reason)));
      }
    }
    return blocked;
  }

  private ensureJournalTopics(names: readonly string[]): Promise<void> {
    return this.ensureTopics(names, (name) => ({ name, partitions: 1, replicationFactor: this.options.replicationFactor, configs: this.options.journalTopicConfigs }));
  }

  private async ensureTopics(names: readonly string[], spec: (name: string) => TopicSpec): Promise<void> {
    const missing = [...new Set(names)].filter((name) => !this.knownTopics.has(name));
    if (missing.length === 0) return;
    try {
      await this.client.ensureTopics(missing.map(spec));
    } catch (error) {
      if (error instanceof TopicCreationError) for (const name of missing) if (!error.refused.has(name)) this.knownTopics.add(name);
      throw error;
    }
    for (const name of missing) this.knownTopics.add(name);
  }

  /**
   * Appends a fence record naming `writerUuid` to the id's topic: from its offset on, the
   * history takes no record of another writer. Durable as a write (acks from all replicas).
   */
  async claimWriter(persistenceId: string, writerUuid: string): Promise<void> {
    const topic = this.topicOf(persistenceId);
    this.prefetched.delete(persistenceId);
    // Recovering an existing actor is the common case: one metadata request instead of a
    // CreateTopics and the wait for its leader.
    if (!this.knownTopics.has(topic) && (await this.client.topicExists(topic))) this.knownTopics.add(topic);
    await this.ensureJournalTopics([topic]);
    const key = Buffer.from(persistenceId, 'utf8');
    const headers: [string, Buffer][] = [
      [ControlHeaders.fence, Buffer.from(writerUuid, 'utf8')],
      ['troupe.pid', key],
    ];
    const before = this.positions.get(persistenceId);
    if (before !== undefined) headers.push([ControlHeaders.at, encodeCheckpoint(before, writerUuid)]);
    const offsets = await this.client.produce([{ topic, partition: PARTITION, key, value: null, headers, timestamp: Date.now() }]);
    const fence = offsets.get(partitionKey(topic, PARTITION));
    if (fence === undefined) throw new JournalTopicCorruptError(topic, `the fence of ${persistenceId} returned no offset`);
    // Where this instance knows the state before the fence, it now knows it after: the
    // recovery that follows reads on from the fence instead of from the log start.
    let known = this.positions.get(persistenceId);
    if (known === undefined && fence === 0n) known = { offset: 0n, state: { last: 0, holder: undefined } };
    if (known === undefined || known.offset > fence) return;
    if (known.offset < fence) known = await this.scanTo(persistenceId, topic, known, fence);
    this.advance(persistenceId, { offset: fence + 1n, state: { last: known.state.last, holder: writerUuid } });
  }

  /**
   * Reads the log from `start` (or from the log start) to `end` (exclusive; by default the
   * high watermark seen by the first read) and judges it page by page with the history rule.
   * `firstPage` replaces the first read when it starts at `start`.
   */
  private async *judgedPages(persistenceId: string, topic: string, start: LogPosition | undefined, end: bigint | undefined, firstBytes: number, firstPage?: PartitionRead): AsyncGenerator<JudgedPage> {
    let offset = start?.offset ?? 0n;
    let state: HistoryState | undefined = start?.state;
    let read: PartitionRead | undefined = firstPage;
    for (let first = true; ; first = false) {
      if (end !== undefined && state !== undefined && offset >= end) return;
      try {
        if (!(first && read !== undefined)) read = await this.client.read(topic, PARTITION, offset, first ? Math.min(firstBytes, this.options.replayFetchBytes) : this.options.replayFetchBytes);
      } catch (error) {
        if (!(error instanceof OffsetOutOfRangeError)) throw error;
        // Below the log start (deleted): the state is taken from what starts the log now.
        // Past the end: nothing more to read.
        const high = await this.client.highWatermark(topic, PARTITION);
        if (high === undefined || offset >= high) return;
        const logStart = await this.client.logStartOffset(topic, PARTITION);
        if (logStart === undefined || logStart <= offset) throw error;
        offset = logStart;
        state = undefined;
        continue;
      }
      if (read === undefined) return;
      if (state === undefined) {
        if (offset !== read.logStartOffset) {
          offset = read.logStartOffset;
          read = undefined;
          continue;
        }
        const head = read.records[0];
        state = stateAtLogStart(offset, head !== undefined && head.offset === offset ? inspectRecord(head) : undefined, persistenceId);
      }
      if (end === undefined) end = read.highWatermark;
      const from: LogPosition = { offset, state };
      const history: HistoryRecord[] = [];
      const records = read.records;
      let next = offset;
      let complete = true;
      for (let i = 0; i < records.length;) {
        const head = records[i]!;
        if (head.offset < offset) {
          // A page read before the start position (a checkpoint inside it).
          i++;
          continue;
        }
        if (head.offset >= end) break;
        const batchLast = head.batchLastOffset ?? head.offset;
        let j = i + 1;
        while (j < records.length && (records[j]!.batchLastOffset ?? records[j]!.offset) === batchLast && records[j]!.offset <= batchLast) j++;
        if (records[j - 1]!.offset < batchLast && j === records.length) {
          // A batch cut by the read's size limit: judge it whole on the next read.
          complete = false;
          break;
        }
        const batch = records.slice(i, j);
        const inspected = batch.map(inspectRecord);
        const verdict = judgeBatch(state, inspected, persistenceId);
        if (verdict.valid) {
          inspected.forEach((r, k) => {
            if (r.kind === 'data') history.push({ record: batch[k]!, sequenceNr: r.sequenceNr });
          });
        }
        state = verdict.state;
        next = batchLast + 1n;
        i = j;
      }
      if (complete) {
        const after = read.nextOffset < end ? read.nextOffset : end;
        if (after > next) next = after;
      }
      const to: LogPosition = { offset: next, state };
      yield { read, from, to, history };
      if (next >= end) return;
      if (next <= offset) throw new JournalTopicCorruptError(topic, `a read at offset ${offset} below the end ${end} returned no records`);
      offset = next;
    }
  }

  async *replayMessages(persistenceId: string, range: ReplayRange): AsyncIterable<readonly PersistentRepr[]> {
    if (range.max <= 0 || range.fromSequenceNr > range.toSequenceNr) return;
    const topic = this.topicOf(persistenceId);
    let remaining = range.max;
    const decoder = new EnvelopeDecoder();
    // The kept page serves a replay up to the highest number found with it (recovery's), not
    // beyond: later writes of another instance lie after its end.
    const prefetched = this.takePrefetched(persistenceId, range.fromSequenceNr);
    const kept = prefetched !== undefined && range.toSequenceNr <= prefetched.highest ? prefetched.page : undefined;
    const end = kept === undefined ? undefined : prefetched!.end;
    const known = this.positions.get(persistenceId);
    // Start at the page that holds the first event when known, else after what this
    // instance knows when the range lies beyond it, else at a checkpoint before the first
    // event, else at the log start.
    let start: LogPosition | undefined = kept?.from ?? (known !== undefined && known.state.last < range.fromSequenceNr ? known : undefined);
    let firstPage = kept?.read;
    if (start === undefined) {
      const found = await this.seek(persistenceId, topic, BigInt(range.fromSequenceNr - 1));
      if (found === 'missing') return;
      if (found !== undefined) ({ position: start, read: firstPage } = found);
    }
    for await (const page of this.judgedPages(persistenceId, topic, start, end, FIRST_READ_BYTES, firstPage)) {
      const events: PersistentRepr[] = [];
      for (const { record, sequenceNr } of page.history) {
        if (sequenceNr < range.fromSequenceNr) continue;
        if (sequenceNr > range.toSequenceNr || remaining <= 0) break;
        const event = decoder.decode(record);
        events.push(event);
        remaining--;
      }
      if (events.length > 0) yield events;
      if (remaining <= 0 || page.to.state.last >= range.toSequenceNr) return;
    }
  }

  /**
   * A position to judge the log from, at or before the first history record at or after
   * `offset`: the log start when `offset` is it, else the first checkpoint found in a read
   * there. Resolves with that read (it holds the position's records) too; `'missing'` when
   * the topic does not exist; `undefined` when none is found (records written before
   * checkpoints existed, or only junk there), and the caller reads from the log start.
   */
  private async seek(persistenceId: string, topic: string, offset: bigint): Promise<{ readonly position: LogPosition; readonly read: PartitionRead } | 'missing' | undefined> {
    const readAt = async (at: bigint): Promise<PartitionRead | 'missing' | undefined> => {
      try {
        return (await this.client.read(topic, PARTITION, at, FIRST_READ_BYTES, true)) ?? 'missing';
      } catch (error) {
        if (error instanceof OffsetOutOfRangeError) return undefined;
        throw error;
      }
    };
    const read = await readAt(offset < 0n ? 0n : offset);
    if (read === undefined || read === 'missing') return read;
    if (offset <= read.logStartOffset) {
      const head = read.records[0];
      return {
        position: {
          offset: read.logStartOffset,
          state: stateAtLogStart(read.logStartOffset, head !== undefined && head.offset === read.logStartOffset ? inspectRecord(head) : undefined, persistenceId),
        },
        read,
      };
    }
    // The read holds the whole first batch, which may start below `offset`.
    const held = read.records[0]?.offset ?? offset;
    for (const record of read.records) {
      if (record.offset < offset) continue;
      const checkpoint = checkpointOf(inspectRecord(record));
      if (checkpoint === undefined || checkpoint.offset < read.logStartOffset || checkpoint.offset > record.offset) continue;
      if (checkpoint.offset >= held) return { position: checkpoint, read };
      const earlier = await readAt(checkpoint.offset);
      return earlier === undefined || earlier === 'missing' ? undefined : { position: checkpoint, read: earlier };
    }
    return undefined;
  }

  /** The first judged page from `found`. */
  private async firstPage(persistenceId: string, topic: string, found: { readonly position: LogPosition; readonly read: PartitionRead }): Promise<JudgedPage | undefined> {
    for await (const page of this.judgedPages(persistenceId, topic, found.position, undefined, FIRST_READ_BYTES, found.read)) return page;
    return undefined;
  }

  /**
   * The last sequence number of the history. Recovery asks this right before replaying from
   * `fromSequenceNr`: the page holding that event is read (at a checkpoint before it, or
   * the log start) and kept for the replay, and the end is judged from what this instance
   * knows or from a checkpoint near the end. A small actor recovers with one read, a big
   * one or one with a snapshot with two; only records without checkpoints (written before
   * them) are judged from the log start.
   */
  async readHighestSequenceNr(persistenceId: string, fromSequenceNr = 1): Promise<number> {
    const topic = this.topicOf(persistenceId);
    const from = Number.isSafeInteger(fromSequenceNr) && fromSequenceNr >= 1 ? fromSequenceNr : 1;
    const known = this.positions.get(persistenceId);
    let keep: JudgedPage | undefined;
    let position: LogPosition | undefined = known;
    let firstRead: PartitionRead | undefined;
    let lastBatch: readonly HistoryRecord[] | undefined;
    if (known === undefined || known.state.last >= from) {
      // The replay starts before what this instance knows: find the page holding `from`.
      const found = await this.seek(persistenceId, topic, BigInt(from - 1));
      if (found === 'missing') return 0;
      const page = found === undefined ? undefined : await this.firstPage(persistenceId, topic, found);
      if (page !== undefined) {
        lastBatch = lastBatchOf(page) ?? lastBatch;
        if (page.from.state.last < from && page.history.some((h) => h.sequenceNr >= from)) keep = page;
        if (position === undefined || page.to.offset > position.offset) position = page.to;
        // Far from the end: judge the end from a checkpoint near it, not every record between.
        const end = page.read.highWatermark;
        if (end - position.offset > TAIL_OFFSETS) {
          const tail = await this.seek(persistenceId, topic, end - TAIL_OFFSETS);
          if (tail !== undefined && tail !== 'missing' && tail.position.offset > position.offset) {
            position = tail.position;
            firstRead = tail.read;
          }
        }
      }
    }
    // On to the end (from the log start when no position is known), keeping the page that
    // holds `from` if not found yet.
    let last = position;
    for await (const page of this.judgedPages(persistenceId, topic, position, undefined, FIRST_READ_BYTES, firstRead)) {
      // The topic exists: the actor's first write needs no CreateTopics.
      this.knownTopics.add(topic);
      if (keep === undefined && page.from.state.last < from && page.history.some((h) => h.sequenceNr >= from)) keep = page;
      lastBatch = lastBatchOf(page) ?? lastBatch;
      last = page.to;
    }
    if (last === undefined) return 0;
    this.advance(persistenceId, last);
    await this.repairIndex(persistenceId, topic, last.state.last, lastBatch);
    if (keep !== undefined) {
      if (this.prefetched.size >= MAX_PREFETCHED) this.prefetched.delete(this.prefetched.keys().next().value as string);
      this.prefetched.set(persistenceId, { fromSequenceNr: from, page: keep, highest: last.state.last, end: last.offset, at: Date.now() });
    }
    return last.state.last;
  }

  /**
   * Indexes the history's last write if its writer stopped between storing and indexing it
   * (a crash, a failed transaction). Every earlier write is indexed: a writer writes its
   * next only after the previous one was indexed, or after a recovery, which comes here.
   * `lastBatch` is the last history batch the caller read, if it holds event `last`.
   */
  private async repairIndex(persistenceId: string, topic: string, last: number, lastBatch: readonly HistoryRecord[] | undefined): Promise<void> {
    if (last === 0 || (this.indexedThrough.get(persistenceId) ?? 0) >= last) return;
    const batch = lastBatch !== undefined && lastBatch[lastBatch.length - 1]!.sequenceNr === last ? lastBatch : await this.findLastBatch(persistenceId, topic, last);
    if (batch === undefined) return;
    const decoder = new EnvelopeDecoder();
    const item: IndexItem = { persistenceId, journalTopic: topic, end: batch[batch.length - 1]!.record.batchLastOffset! + 1n, events: batch.map((h) => decoder.decode(h.record)) };
    if (needsIndex(item.events) && !(await this.indexWriter.isIndexed(item))) await this.indexWriter.index([item]);
    this.noteIndexed(persistenceId, last);
  }

  /** The history batch holding event `last`, judged from a checkpoint before it (or the log start). */
  private async findLastBatch(persistenceId: string, topic: string, last: number): Promise<readonly HistoryRecord[] | undefined> {
    const found = await this.seek(persistenceId, topic, BigInt(last - 1));
    if (found === 'missing') return undefined;
    let batch: readonly HistoryRecord[] | undefined;
    for await (const page of this.judgedPages(persistenceId, topic, found?.position, undefined, this.options.replayFetchBytes, found?.read)) {
      batch = lastBatchOf(page) ?? batch;
      if (page.to.state.last >= last) break;
    }
    return batch !== undefined && batch[batch.length - 1]!.sequenceNr === last ? batch : undefined;
  }

  private takePrefetched(persistenceId: string, fromSequenceNr: number): Prefetched | undefined {
    const entry = this.prefetched.get(persistenceId);
    if (entry === undefined) return undefined;
    this.prefetched.delete(persistenceId);
    return entry.fromSequenceNr === fromSequenceNr && Date.now() - entry.at < PREFETCH_TTL_MS ? entry : undefined;
  }

  /**
   * Deletes with Kafka DeleteRecords up to the first event that survives, which then tells
   * readers the state before it. When every event goes, a start marker stating the last
   * number and the holder is appended first and the log is cut right before it.
   */
  async deleteMessagesTo(persistenceId: string, toSequenceNr: number): Promise<void> {
    if (!(toSequenceNr >= 1)) return;
    this.prefetched.delete(persistenceId);
    const topic = this.topicOf(persistenceId);
    const high = await this.client.highWatermark(topic, PARTITION);
    if (high === undefined || high === 0n) return;
    for (let attempt = 0; attempt < DELETE_ATTEMPTS; attempt++) {
      const known = this.positions.get(persistenceId);
      // The first surviving event, and the end of the log as judged.
      let survivor: bigint | undefined;
      let position: LogPosition | undefined = known;
      let logStart: bigint | undefined;
      let start: LogPosition | undefined = known !== undefined && known.state.last <= toSequenceNr ? known : undefined;
      let firstRead: PartitionRead | undefined;
      if (start === undefined && Number.isSafeInteger(toSequenceNr)) {
        // Event to + 1 is at offset to or later: start at a checkpoint before it.
        const found = await this.seek(persistenceId, topic, BigInt(toSequenceNr));
        if (found === 'missing') return;
        if (found !== undefined) ({ position: start, read: firstRead } = found);
      }
      for await (const page of this.judgedPages(persistenceId, topic, start, undefined, this.options.replayFetchBytes, firstRead)) {
        logStart ??= page.read.logStartOffset;
        survivor ??= page.history.find((h) => h.sequenceNr > toSequenceNr)?.record.offset;
        position = page.to;
      }
      if (position === undefined) return;
      this.advance(persistenceId, position);
      if (survivor !== undefined) {
        if (logStart === undefined || survivor > logStart) await this.client.deleteRecordsBefore(topic, PARTITION, survivor);
        return;
      }
      // Everything goes: append a start marker and cut right before it, unless something
      // that changes the state landed in between (then judge again).
      const { state } = position;
      if (state.last === 0) return;
      const key = Buffer.from(persistenceId, 'utf8');
      const headers: [string, Buffer][] = [
        [ControlHeaders.start, Buffer.from(String(state.last))],
        ['troupe.pid', key],
      ];
      if (state.holder !== undefined) headers.push([ControlHeaders.holder, Buffer.from(state.holder, 'utf8')]);
      const offsets = await this.client.produce([{ topic, partition: PARTITION, key, value: null, headers, timestamp: Date.now() }]);
      const marker = offsets.get(partitionKey(topic, PARTITION));
      if (marker === undefined) throw new JournalTopicCorruptError(topic, `the start marker of ${persistenceId} returned no offset`);
      const before = position.offset < marker ? await this.scanTo(persistenceId, topic, position, marker) : position;
      if (before.state.last === state.last && before.state.holder === state.holder) {
        await this.client.deleteRecordsBefore(topic, PARTITION, marker);
        this.advance(persistenceId, { offset: marker + 1n, state });
        return;
      }
      this.advance(persistenceId, before);
    }
    throw new JournalTopicCorruptError(topic, `could not delete the events of ${persistenceId}: writes or claims kept landing during the deletion`);
  }

  /**
   * Events tagged `tag` from its tag topic, read committed; the offset of an event is its
   * Kafka offset + 1. Transactions commit in offset order for readers (a read stops at the
   * first undecided one), so an event indexed later gets a higher offset than any returned.
   */
  async currentEventsByTag(tag: string, afterOffset: number, limit: number): Promise<readonly OrderedRepr[]> {
    const decoder = new EnvelopeDecoder();
    return this.readIndex(
      this.tagTopicOf(tag),
      afterOffset,
      limit,
      (record) => decoder.decode(record),
      (offset, repr) => ({ offset, repr }),
    );
  }

  /** Persistence ids from the ids topic, in order of first write; the offset is the Kafka offset + 1. */
  async currentPersistenceIds(afterOffset: number, limit: number): Promise<readonly OrderedPersistenceId[]> {
    return this.readIndex(
      this.options.persistenceIdsTopic,
      afterOffset,
      limit,
      (record) => (record.key ?? Buffer.alloc(0)).toString('utf8'),
      (offset, persistenceId) => ({ offset, persistenceId }),
    );
  }

  /** Pages through an index topic, read committed, from query offset `afterOffset`. */
  private async readIndex<V, T>(topic: string, afterOffset: number, limit: number, decode: (record: IncomingRecord) => V, entry: (offset: number, value: V) => T): Promise<T[]> {
    if (!(Number.isSafeInteger(afterOffset) && afterOffset >= 0)) throw new RangeError(`KafkaJournal: afterOffset must be a non-negative integer, got ${afterOffset}`);
    if (!(Number.isSafeInteger(limit) && limit >= 0)) throw new RangeError(`KafkaJournal: limit must be a non-negative integer, got ${limit}`);
    const found: T[] = [];
    // Query offset n is Kafka offset n - 1, so "after n" starts at Kafka offset n.
    let offset = BigInt(afterOffset);
    while (found.length < limit) {
      let read: PartitionRead | undefined;
      try {
        read = await this.client.readCommitted(topic, PARTITION, offset, this.options.replayFetchBytes);
      } catch (error) {
        if (!(error instanceof OffsetOutOfRangeError)) throw error;
        const logStart = await this.client.logStartOffset(topic, PARTITION);
        if (logStart === undefined || logStart <= offset) return found;
        offset = logStart;
        continue;
      }
      if (read === undefined) return found;
      for (const record of read.records) {
        if (record.offset < offset) continue;
        found.push(entry(Number(record.offset) + 1, decode(record)));
        if (found.length >= limit) return found;
      }
      if (read.nextOffset <= offset || read.nextOffset >= read.lastStableOffset) return found;
      offset = read.nextOffset;
    }
    return found;
  }

  subscribe(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.prefetched.clear();
    this.positions.clear();
    this.indexedThrough.clear();
    await this.client.close();
  }
}

/** The records of the last history batch of a judged page (one atomic write), or `undefined` when it holds none. */
function lastBatchOf(page: JudgedPage): readonly HistoryRecord[] | undefined {
  const history = page.history;
  if (history.length === 0) return undefined;
  const batchEnd = history[history.length - 1]!.record.batchLastOffset;
  let start = history.length - 1;
  while (start > 0 && history[start - 1]!.record.batchLastOffset === batchEnd) start--;
  return history.slice(start);
}

/**
 * Splits writes into groups of at most `maxBytes`, with at most one write per topic in a
 * group: the client puts a request's records of one partition in one record batch, and each
 * atomic write must be a batch of its own to be judged (and refused) on its own.
 */
function* chunksOf(writes: readonly AcceptedWrite[], maxBytes: number): Generator<AcceptedWrite[]> {
  let chunk: AcceptedWrite[] = [];
  let topics = new Set<string>();
  let bytes = 0;
  for (const write of writes) {
    if (chunk.length > 0 && (bytes + write.bytes > maxBytes || topics.has(write.topic))) {
      yield chunk;
      chunk = [];
      topics = new Set();
      bytes = 0;
    }
    chunk.push(write);
    topics.add(write.topic);
    bytes += write.bytes;
  }
  if (chunk.length > 0) yield chunk;
}
