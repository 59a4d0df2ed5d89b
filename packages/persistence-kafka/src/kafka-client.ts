/**
 * The narrow seam between the plugins and a Kafka client library. Everything the journal,
 * the snapshot store and the event stream need from Kafka is here, and nothing else: one
 * adapter (`PlatformaticKafkaClient`) implements it. Swapping the library means writing
 * another adapter, not touching the plugins.
 */

/** A record to produce. */
export interface OutgoingRecord {
  readonly topic: string;
  /** Explicit partition; when absent the client hashes `key` (murmur2, like the Java client). */
  readonly partition?: number;
  readonly key: Buffer;
  /** `null` produces a tombstone (deletes `key` on a compacted topic). */
  readonly value: Buffer | null;
  readonly headers: readonly (readonly [string, Buffer])[];
  /** CreateTime of the record, ms since the epoch. */
  readonly timestamp: number;
}

/** A record read back from a partition. */
export interface IncomingRecord {
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly (readonly [Buffer | null, Buffer | null])[];
  readonly timestamp: bigint;
  /**
   * Offset of the last record of the record batch this record came in (one atomic write
   * is one batch). Set by `read`; absent on records of a consumer group.
   */
  readonly batchLastOffset?: bigint;
}

/** One read of a partition: records at or after the requested offset, and its bounds. */
export interface PartitionRead {
  readonly records: readonly IncomingRecord[];
  /** Offset after the last record returned (where to read next). */
  readonly nextOffset: bigint;
  /** The partition's high watermark when read: one past the last committed record. */
  readonly highWatermark: bigint;
  /** The first offset still stored (raised by delete-records and retention). */
  readonly logStartOffset: bigint;
  /**
   * The partition's last stable offset when read: below it every transaction is decided.
   * A read-committed read returns records below it only.
   */
  readonly lastStableOffset: bigint;
}

/** A topic to create. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs, e.g. `cleanup.policy`. */
  readonly configs: Readonly<Record<string, string>>;
}

/** A record delivered by a consumer group, with what is needed to commit past it. */
export interface ConsumedRecord extends IncomingRecord {
  readonly topic: string;
  readonly partition: number;
}

/** A running consumer-group subscription. */
export interface GroupSubscription extends AsyncIterable<ConsumedRecord> {
  /** Commits, per partition, the offset after the given records. */
  commit(records: readonly ConsumedRecord[]): Promise<void>;
  /** Leaves the group and closes the connections. */
  close(): Promise<void>;
  /** Records fetched and not yet taken by the iteration. */
  readonly buffered: number;
}

/** Options of a consumer-group subscription. */
export interface GroupSubscriptionOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group without committed offsets starts. */
  readonly from: 'earliest' | 'latest';
  /** Most bytes one Fetch asks for (per request and per partition); a first record batch above it still comes whole. */
  readonly fetchMaxBytes: number;
  /** Records held ahead of the iteration: at or above it, no new Fetch starts until the iteration takes some. */
  readonly bufferSize: number;
}

/** What the plugins need from a Kafka client. All offsets are partition offsets. */
export interface KafkaClient {
  /** Resolves once a broker answered; rejects with `KafkaUnreachableError` naming the addresses. */
  connect(): Promise<void>;
  /** Creates the topics that do not exist yet and waits until each has a leader. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** True when the topic exists (asks the cluster, not a cache, when `fresh`). */
  topicExists(topic: string, fresh?: boolean): Promise<boolean>;
  /**
   * Produces the records with the idempotent producer: the records of one partition go
   * in one record batch (stored all or nothing), in the order given. Resolves with the
   * base offset of each partition written, keyed `topic:partition`.
   */
  produce(records: readonly OutgoingRecord[]): Promise<ReadonlyMap<string, bigint>>;
  /** The high watermark of a partition, or `undefined` when the topic does not exist. */
  highWatermark(topic: string, partition: number): Promise<bigint | undefined>;
  /** The first stored offset of a partition, or `undefined` when the topic does not exist. */
  logStartOffset(topic: string, partition: number): Promise<bigint | undefined>;
  /**
   * Reads up to about `maxBytes` from `offset` without a consumer group (one Fetch,
   * no fetch session). `undefined` when the topic does not exist. Reading below the log
   * start offset rejects with `OffsetOutOfRangeError`. With `wholeFirstBatch`, the records
   * of the first record batch that lie below `offset` (Kafka returns whole batches) are
   * kept too, so the caller can judge that batch from its start.
   */
  read(topic: string, partition: number, offset: bigint, maxBytes: number, wholeFirstBatch?: boolean): Promise<PartitionRead | undefined>;
  /**
   * Reads like `read`, isolation level read-committed: only records below the last stable
   * offset, without the records of aborted transactions and without control records.
   */
  readCommitted(topic: string, partition: number, offset: bigint, maxBytes: number): Promise<PartitionRead | undefined>;
  /**
   * Produces `records` in one Kafka transaction, then asks `decide` (with the base offset of
   * each partition written, as `produce` resolves) whether to commit: resolves `true` when
   * committed, `false` when aborted. Any error aborts and rejects. Transactions of one
   * client run on a small pool of transactional producers, so several can be open at once.
   */
  produceTransactionally(records: readonly OutgoingRecord[], decide: (offsets: ReadonlyMap<string, bigint>) => Promise<boolean>): Promise<boolean>;
  /**
   * The end of each partition in one ListOffsets, keyed `topic:partition`: the last stable
   * offset (`committed`: below it every transaction is decided) or the high watermark.
   */
  endOffsets(partitions: readonly { readonly topic: string; readonly partition: number }[], committed: boolean): Promise<ReadonlyMap<string, bigint>>;
  /** Deletes the records below `offset` (Kafka DeleteRecords); persistent on the broker. */
  deleteRecordsBefore(topic: string, partition: number, offset: bigint): Promise<void>;
  /** Deletes topics (missing ones are ignored). */
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** Joins a consumer group on `topics`; records arrive partially ordered (per partition). */
  subscribe(options: GroupSubscriptionOptions): Promise<GroupSubscription>;
  /** Closes every connection. */
  close(): Promise<void>;
}

/** Key of a partition in `produce` results. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}
