/**
 * The query index of the Kafka journal: tag topics (`eventsByTag`) and the persistence-ids
 * topic (`persistenceIds`), derived from the journal topics' histories.
 *
 * A write joins the history when its journal batch is judged (see `history-rule.ts`); its
 * index records are then written in a Kafka transaction together with an **index marker**
 * in the id's journal topic (`troupe.indexed: <first>-<last>`). Readers of the index read
 * committed, so a transaction's records appear all at once or never. Whoever indexes a
 * write — its writer, or a later recovery repairing a writer that crashed between the two
 * steps, or both at once — follows one rule:
 *
 *   commit iff no committed marker of the same write lies between the write and my marker.
 *
 * The check reads the journal topic read-committed up to the own marker, which waits until
 * every transaction with a marker before it is decided (the last stable offset reaches it).
 * So of all transactions indexing one write, exactly the first one not aborted for another
 * reason commits: the write's index records exist once, and never for a write outside the
 * history (only judged history writes are indexed).
 */
import type { PersistentRepr } from '@troupe/persistence';
import { encodeEnvelope } from '../event-envelope.js';
import { type KafkaClient, type OutgoingRecord, partitionKey } from '../kafka-client.js';
import { JournalTopicCorruptError, OffsetOutOfRangeError, TagTopicError, TopicCreationError } from '../kafka-errors.js';

/** Header names of index records. */
export const IndexHeaders = {
  /** On an index marker in a journal topic: `<first>-<last>`, the sequence numbers of the write it indexes. */
  indexed: 'troupe.indexed',
  persistenceId: 'troupe.pid',
} as const;

/** A write of the history whose index records are due. */
export interface IndexItem {
  readonly persistenceId: string;
  readonly journalTopic: string;
  /** Offset right after the write's record batch in the journal topic. */
  readonly end: bigint;
  /** The write's events, in order. */
  readonly events: readonly PersistentRepr[];
}

/** Where the index lives. */
export interface IndexTopics {
  /** The tag topic of `tag`. */
  tagTopic(tag: string): string;
  /** The persistence-ids topic. */
  readonly persistenceIdsTopic: string;
  /** Creates the topics that this instance has not seen yet. */
  ensure(topics: readonly string[]): Promise<void>;
}

/** True when the write has index records: a tagged event, or the id's first event (registers the id). */
export function needsIndex(events: readonly PersistentRepr[]): boolean {
  return events[0]?.sequenceNr === 1 || events.some((e) => e.tags.length > 0);
}

/** Journal topics hold one partition; so do tag topics and the ids topic (the Kafka offset is the query offset). */
const PARTITION = 0;
/** Bytes per read-committed read of a journal topic while looking for markers. */
const MARKER_READ_BYTES = 256 * 1024;

/** Writes the index records of history writes, once each (see the module comment). */
export class QueryIndexWriter {
  constructor(
    private readonly client: KafkaClient,
    private readonly topics: IndexTopics,
    /** How long to wait for an earlier transaction on a journal topic to be decided (the broker aborts it after its timeout). */
    private readonly decisionTimeoutMs: number,
  ) {}

  /**
   * Resolves once the index records of every item are committed, by this call or by
   * another indexer, with the offset of the marker of each item this call committed.
   * Rejects when Kafka fails; the items may then be indexed or not, and a later `index` of
   * them is still exactly once.
   */
  async index(items: readonly IndexItem[]): Promise<ReadonlyMap<IndexItem, bigint>> {
    const markers = new Map<IndexItem, bigint>();
    let remaining = items.filter((item) => needsIndex(item.events));
    if (remaining.length === 0) return markers;
    const tagOfTopic = new Map<string, string>();
    let registers = false;
    for (const item of remaining) {
      for (const event of item.events) for (const tag of event.tags) tagOfTopic.set(this.topics.tagTopic(tag), tag);
      if (item.events[0]!.sequenceNr === 1) registers = true;
    }
    try {
      await this.topics.ensure([...tagOfTopic.keys(), ...(registers ? [this.topics.persistenceIdsTopic] : [])]);
    } catch (error) {
      // Name the tag: its writes cannot be indexed until its topic can be created.
      const refused = error instanceof TopicCreationError ? [...error.refused].find(([topic]) => tagOfTopic.has(topic)) : undefined;
      if (refused === undefined) throw error;
      throw new TagTopicError(tagOfTopic.get(refused[0])!, refused[0], new Error(refused[1]));
    }
    while (remaining.length > 0) {
      // One marker per journal topic and transaction: its offset is the batch's base offset.
      const chunk: IndexItem[] = [];
      const later: IndexItem[] = [];
      const seen = new Set<string>();
      for (const item of remaining) {
        if (seen.has(item.journalTopic)) later.push(item);
        else {
          seen.add(item.journalTopic);
          chunk.push(item);
        }
      }
      let done: readonly IndexItem[] = [];
      const records = this.recordsOf(chunk);
      let produced: ReadonlyMap<string, bigint> = new Map();
      const committed = await this.client.produceTransactionally(records, async (offsets) => {
        produced = offsets;
        const already: IndexItem[] = [];
        await Promise.all(
          chunk.map(async (item) => {
            const marker = offsets.get(partitionKey(item.journalTopic, PARTITION));
            if (marker === undefined) throw new JournalTopicCorruptError(item.journalTopic, `the index marker of ${item.persistenceId} returned no offset`);
            // Right after the write: no other marker can precede it.
            if (marker > item.end && (await this.markedBetween(item, item.end, marker))) already.push(item);
          }),
        );
        done = already;
        return already.length === 0;
      });
      if (committed) {
        await this.awaitVisible(records, produced);
        for (const item of chunk) markers.set(item, produced.get(partitionKey(item.journalTopic, PARTITION))!);
      }
      // Aborted because some were indexed already: those are done, the others go again.
      remaining = [...(committed ? [] : chunk.filter((item) => !done.includes(item))), ...later];
    }
    return markers;
  }

  /**
   * Waits until readers of the index see a committed transaction's records: the broker
   * answers the commit before it writes the commit markers, and until then read-committed
   * reads stop below them. So an acknowledged event is in the next query.
   */
  private async awaitVisible(records: readonly OutgoingRecord[], offsets: ReadonlyMap<string, bigint>): Promise<void> {
    const counts = new Map<string, { topic: string; count: number }>();
    for (const record of records) {
      if (record.topic === this.topics.persistenceIdsTopic || this.isIndexTopic(record)) {
        const key = partitionKey(record.topic, PARTITION);
        const entry = counts.get(key) ?? { topic: record.topic, count: 0 };
        entry.count++;
        counts.set(key, entry);
      }
    }
    let pending = [...counts].map(([key, { topic, count }]) => ({ key, topic, end: offsets.get(key)! + BigInt(count) }));
    const deadline = Date.now() + this.decisionTimeoutMs;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const stable = await this.client.endOffsets(
        pending.map(({ topic }) => ({ topic, partition: PARTITION })),
        true,
      );
      pending = pending.filter(({ key, end }) => (stable.get(key) ?? -1n) < end);
      if (pending.length === 0) return;
      if (Date.now() > deadline) throw new JournalTopicCorruptError(pending[0]!.topic, `a committed transaction stayed invisible to readers for ${this.decisionTimeoutMs} ms`);
      await new Promise<void>((resolve) => setTimeout(resolve, Math.min(2 ** attempt, 20)));
    }
  }

  private isIndexTopic(record: OutgoingRecord): boolean {
    return record.value !== null && !record.headers.some(([name]) => name === IndexHeaders.indexed);
  }

  /**
   * True when a committed marker of the item's write lies at or after its end, up to the
   * journal topic's last stable offset now (no waiting): a cheap check before repairing.
   */
  async isIndexed(item: IndexItem): Promise<boolean> {
    return this.markedBetween(item, item.end, undefined);
  }

  /**
   * Looks for a committed marker of `item` in `[from, to)`; without `to`, up to the last
   * stable offset now. With `to`, waits until everything below it is decided.
   */
  private async markedBetween(item: IndexItem, from: bigint, to: bigint | undefined): Promise<boolean> {
    const wanted = markerText(item);
    const deadline = Date.now() + this.decisionTimeoutMs;
    let offset = from;
    for (let attempt = 0; ;) {
      if (to !== undefined && offset >= to) return false;
      let read;
      try {
        read = await this.client.readCommitted(item.journalTopic, PARTITION, offset, MARKER_READ_BYTES);
      } catch (error) {
        // Deleted below the log start meanwhile: what is left starts there.
        if (!(error instanceof OffsetOutOfRangeError)) throw error;
        const logStart = await this.client.logStartOffset(item.journalTopic, PARTITION);
        if (logStart === undefined || logStart <= offset) throw error;
        offset = logStart;
        continue;
      }
      if (read === undefined) return false;
      for (const record of read.records) {
        if (record.offset < offset || (to !== undefined && record.offset >= to)) continue;
        if (isMarker(record.headers, wanted)) return true;
      }
      if (read.nextOffset > offset) {
        offset = read.nextOffset;
        if (to === undefined && offset >= read.lastStableOffset) return false;
        continue;
      }
      // Nothing decided at `offset` yet.
      if (to === undefined) return false;
      // An earlier transaction on this topic is undecided (its indexer may be committing it,
      // or dead: the broker then aborts it after its timeout). Its outcome decides ours.
      if (Date.now() > deadline) {
        throw new JournalTopicCorruptError(item.journalTopic, `a transaction before offset ${to} stayed undecided for ${this.decisionTimeoutMs} ms while indexing ${item.persistenceId}`);
      }
      await new Promise<void>((resolve) => setTimeout(resolve, Math.min(5 * 2 ** attempt++, 100)));
    }
  }

  private recordsOf(items: readonly IndexItem[]): OutgoingRecord[] {
    const records: OutgoingRecord[] = [];
    for (const item of items) {
      const key = Buffer.from(item.persistenceId, 'utf8');
      const now = Date.now();
      if (item.events[0]!.sequenceNr === 1) {
        records.push({ topic: this.topics.persistenceIdsTopic, partition: PARTITION, key, value: key, headers: [[IndexHeaders.persistenceId, key]], timestamp: now });
      }
      for (const event of item.events) {
        if (event.tags.length === 0) continue;
        const encoded = encodeEnvelope(event);
        for (const tag of new Set(event.tags)) {
          records.push({ topic: this.topics.tagTopic(tag), partition: PARTITION, key: encoded.key, value: encoded.value, headers: encoded.headers, timestamp: encoded.timestamp });
        }
      }
      records.push({
        topic: item.journalTopic,
        partition: PARTITION,
        key,
        value: null,
        headers: [
          [IndexHeaders.indexed, Buffer.from(markerText(item), 'latin1')],
          [IndexHeaders.persistenceId, key],
        ],
        timestamp: now,
      });
    }
    return records;
  }
}

function markerText(item: IndexItem): string {
  return `${item.events[0]!.sequenceNr}-${item.events[item.events.length - 1]!.sequenceNr}`;
}

const INDEXED_NAME = Buffer.from(IndexHeaders.indexed, 'latin1');

/** True when the headers hold the marker `troupe.indexed: <wanted>`. */
function isMarker(headers: readonly (readonly [Buffer | null, Buffer | null])[], wanted: string): boolean {
  for (const [name, value] of headers) {
    if (name !== null && value !== null && name.equals(INDEXED_NAME) && value.toString('latin1') === wanted) return true;
  }
  return false;
}
