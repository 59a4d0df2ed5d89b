import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { SASLOptions } from '@platformatic/kafka';
import type { EventTopicMapper } from './event-topic-mapper.js';
import { DefaultEventTopicMapper } from './event-topic-mapper.js';
import { checkTopicText, collisionForm } from './topic-names.js';

/** How to reach Kafka; shared by the journal, the snapshot store and event streams. */
export interface KafkaConnectionOptions {
  /** Bootstrap brokers, `host:port`. Required. */
  readonly brokers: readonly string[];
  /** Prefix of the client ids the broker sees. @default 'troupe' */
  readonly clientId?: string;
  /** Connection timeout per broker. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Timeout of one request. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Retries of a failed request (with `retryDelayMs` between). @default 5 */
  readonly retries?: number;
  /** Delay between retries. @default 200 */
  readonly retryDelayMs?: number;
  /** How long topic metadata (leaders, ids) is cached. @default 300000 */
  readonly metadataMaxAgeMs?: number;
  /** TLS options (node:tls), when the listener is TLS. */
  readonly tls?: TlsOptions;
  /** SASL credentials, when the listener requires them. */
  readonly sasl?: SASLOptions;
}

/** Options of `KafkaJournal`. */
export interface KafkaJournalOptions extends KafkaConnectionOptions {
  /** Journal topic of persistence id `p` is `journalTopicPrefix + p` (sanitised). @default 'journal-' */
  readonly journalTopicPrefix?: string;
  /** Replication factor of created topics; -1 = the broker's `default.replication.factor`. @default -1 */
  readonly replicationFactor?: number;
  /**
   * Extra configs of created journal topics. The journal always sets
   * `cleanup.policy=delete` (compaction would destroy a journal) and, unless given here,
   * `retention.ms=-1` and `retention.bytes=-1` (events are kept until deleted).
   * @default {}
   */
  readonly journalTopicConfigs?: Readonly<Record<string, string>>;
  /** Events whose payload is larger are rejected (per write, nothing stored). @default 1048576 */
  readonly maxPayloadBytes?: number;
  /** Most encoded bytes one produce request carries; a group commit is split above it. @default 8388608 */
  readonly maxRequestBytes?: number;
  /** Most bytes asked per Fetch during replay (one page); the first Fetch asks at most 256 KiB. @default 4194304 */
  readonly replayFetchBytes?: number;
  /**
   * Chooses the user-defined topics each event is also published to. `undefined` uses
   * `DefaultEventTopicMapper` (every event to `events`); `EmptyEventTopicMapper` turns it off.
   */
  readonly eventTopicMapper?: EventTopicMapper;
  /** Partitions of event topics the journal creates (existing topics are used as they are). @default 1 */
  readonly eventTopicPartitions?: number;
  /** Create missing event topics (else publishing to a missing one fails the write). @default true */
  readonly createEventTopics?: boolean;
  /** Tag topic of tag `t` (the `eventsByTag` index) is `tagTopicPrefix + t` (sanitised). @default 'tag-' */
  readonly tagTopicPrefix?: string;
  /** The topic listing each persistence id once (the `persistenceIds` index). @default 'persistence-ids' */
  readonly persistenceIdsTopic?: string;
  /**
   * Stable transactional ids of the index transactions: `<prefix>-0` and `<prefix>-1`. A
   * process restarted with the same prefix aborts, at `connect`, the index transaction its
   * killed predecessor left open, so readers of its tag topics (and recoveries of its ids)
   * go on at once instead of waiting for the broker's transaction timeout. It must be unique
   * per live journal instance (e.g. derived from the node's address or the pod name): two
   * live instances sharing one fence each other, and their tagged writes fail with
   * `TransactionalIdFencedError` (nothing acknowledged is lost; the writes are indexed by
   * the next recovery). Unset: random ids, which never collide but cannot fence a predecessor.
   * @default undefined (random ids)
   */
  readonly transactionalIdPrefix?: string;
}

/** Options of `KafkaSnapshotStore`. */
export interface KafkaSnapshotStoreOptions extends KafkaConnectionOptions {
  /** Snapshot topic of persistence id `p` is `snapshotTopicPrefix + p` (sanitised). @default 'snapshot-' */
  readonly snapshotTopicPrefix?: string;
  /** Replication factor of created topics; -1 = the broker's default. @default -1 */
  readonly replicationFactor?: number;
  /** Extra configs of created snapshot topics; `cleanup.policy=compact` is always set. @default {} */
  readonly snapshotTopicConfigs?: Readonly<Record<string, string>>;
  /** Bytes asked per Fetch while scanning a snapshot topic. @default 4194304 */
  readonly fetchBytes?: number;
}

/** Connection options with every default filled in. */
export interface ResolvedConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly metadataMaxAgeMs: number;
  readonly tls?: TlsOptions;
  readonly sasl?: SASLOptions;
}

function positiveInt(owner: string, field: string, value: number): number {
  if (!(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`${owner}: ${field} must be a positive integer, got ${value}`);
  return value;
}

function nonNegativeInt(owner: string, field: string, value: number): number {
  if (!(Number.isSafeInteger(value) && value >= 0)) throw new RangeError(`${owner}: ${field} must be a non-negative integer, got ${value}`);
  return value;
}

function configs(owner: string, field: string, value: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw new TypeError(`${owner}: ${field} must be an object of string values`);
  for (const [name, v] of Object.entries(value)) if (typeof v !== 'string') throw new TypeError(`${owner}: ${field}.${name} must be a string, got ${typeof v}`);
  return value;
}

/** Validates the connection options (defaults here, nowhere else). */
export function resolveConnection(owner: string, options: KafkaConnectionOptions | undefined): ResolvedConnection {
  if (options === null || typeof options !== 'object') throw new TypeError(`${owner}: options must be an object with at least { brokers }`);
  const { brokers } = options;
  if (!Array.isArray(brokers) || brokers.length === 0) throw new TypeError(`${owner}: brokers must be a non-empty array of "host:port" strings`);
  for (const address of brokers) {
    if (typeof address !== 'string' || !/^[^\s:]+:\d{1,5}$/.test(address)) throw new TypeError(`${owner}: brokers must hold "host:port" strings, got ${JSON.stringify(address)}`);
  }
  const clientId = options.clientId ?? 'troupe';
  if (typeof clientId !== 'string' || clientId === '') throw new TypeError(`${owner}: clientId must be a non-empty string`);
  return {
    brokers: [...brokers],
    clientId,
    connectTimeoutMs: positiveInt(owner, 'connectTimeoutMs', options.connectTimeoutMs ?? 5000),
    requestTimeoutMs: positiveInt(owner, 'requestTimeoutMs', options.requestTimeoutMs ?? 10_000),
    retries: nonNegativeInt(owner, 'retries', options.retries ?? 5),
    retryDelayMs: nonNegativeInt(owner, 'retryDelayMs', options.retryDelayMs ?? 200),
    metadataMaxAgeMs: positiveInt(owner, 'metadataMaxAgeMs', options.metadataMaxAgeMs ?? 300_000),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
    ...(options.sasl !== undefined ? { sasl: options.sasl } : {}),
  };
}

/** Journal options with every default filled in. */
export interface ResolvedJournalOptions {
  readonly connection: ResolvedConnection;
  readonly journalTopicPrefix: string;
  readonly replicationFactor: number;
  readonly journalTopicConfigs: Readonly<Record<string, string>>;
  readonly maxPayloadBytes: number;
  readonly maxRequestBytes: number;
  readonly replayFetchBytes: number;
  readonly eventTopicMapper: EventTopicMapper;
  readonly eventTopicPartitions: number;
  readonly createEventTopics: boolean;
  readonly tagTopicPrefix: string;
  readonly persistenceIdsTopic: string;
  readonly transactionalIdPrefix: string | undefined;
}

function replication(owner: string, value: number): number {
  if (!(value === -1 || (Number.isSafeInteger(value) && value > 0))) throw new RangeError(`${owner}: replicationFactor must be -1 or a positive integer, got ${value}`);
  return value;
}

/** Validates `KafkaJournalOptions`. */
export function resolveJournalOptions(options: KafkaJournalOptions): ResolvedJournalOptions {
  const owner = 'KafkaJournal';
  const connection = resolveConnection(owner, options);
  const topicConfigs = configs(owner, 'journalTopicConfigs', options.journalTopicConfigs);
  if (topicConfigs['cleanup.policy'] !== undefined && topicConfigs['cleanup.policy'] !== 'delete') {
    throw new TypeError(`${owner}: journalTopicConfigs["cleanup.policy"] must be "delete": compaction would keep only some events of a journal`);
  }
  const mapper = options.eventTopicMapper ?? DefaultEventTopicMapper;
  if (typeof mapper?.topicsFor !== 'function') throw new TypeError(`${owner}: eventTopicMapper must have a topicsFor(event) method`);
  const createEventTopics = options.createEventTopics ?? true;
  if (typeof createEventTopics !== 'boolean') throw new TypeError(`${owner}: createEventTopics must be a boolean`);
  const journalTopicPrefix = checkTopicText(owner, 'journalTopicPrefix', options.journalTopicPrefix ?? 'journal-', true);
  const tagTopicPrefix = checkTopicText(owner, 'tagTopicPrefix', options.tagTopicPrefix ?? 'tag-', false);
  // Compared as Kafka compares names (`.` = `_`): otherwise their topics could collide.
  const journalForm = collisionForm(journalTopicPrefix);
  const tagForm = collisionForm(tagTopicPrefix);
  if (journalForm.startsWith(tagForm) || tagForm.startsWith(journalForm)) {
    throw new TypeError(
      `${owner}: tagTopicPrefix ${JSON.stringify(tagTopicPrefix)} and journalTopicPrefix ${JSON.stringify(journalTopicPrefix)} must not be prefixes of each other (with "." and "_" counted as the same, as Kafka does): a tag and a persistence id could share a topic`,
    );
  }
  return {
    connection,
    journalTopicPrefix,
    tagTopicPrefix,
    persistenceIdsTopic: checkTopicText(owner, 'persistenceIdsTopic', options.persistenceIdsTopic ?? 'persistence-ids', false),
    replicationFactor: replication(owner, options.replicationFactor ?? -1),
    journalTopicConfigs: { 'retention.ms': '-1', 'retention.bytes': '-1', ...topicConfigs, 'cleanup.policy': 'delete' },
    maxPayloadBytes: positiveInt(owner, 'maxPayloadBytes', options.maxPayloadBytes ?? 1024 * 1024),
    maxRequestBytes: positiveInt(owner, 'maxRequestBytes', options.maxRequestBytes ?? 8 * 1024 * 1024),
    replayFetchBytes: positiveInt(owner, 'replayFetchBytes', options.replayFetchBytes ?? 4 * 1024 * 1024),
    eventTopicMapper: mapper,
    eventTopicPartitions: positiveInt(owner, 'eventTopicPartitions', options.eventTopicPartitions ?? 1),
    createEventTopics,
    transactionalIdPrefix: transactionalIdPrefixOf(owner, options.transactionalIdPrefix),
  };
}

function transactionalIdPrefixOf(owner: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > 200) throw new TypeError(`${owner}: transactionalIdPrefix must be a string of 1 to 200 characters, got ${JSON.stringify(value)}`);
  return value;
}

/** Snapshot-store options with every default filled in. */
export interface ResolvedSnapshotStoreOptions {
  readonly connection: ResolvedConnection;
  readonly snapshotTopicPrefix: string;
  readonly replicationFactor: number;
  readonly snapshotTopicConfigs: Readonly<Record<string, string>>;
  readonly fetchBytes: number;
}

/** Validates `KafkaSnapshotStoreOptions`. */
export function resolveSnapshotStoreOptions(options: KafkaSnapshotStoreOptions): ResolvedSnapshotStoreOptions {
  const owner = 'KafkaSnapshotStore';
  const connection = resolveConnection(owner, options);
  const topicConfigs = configs(owner, 'snapshotTopicConfigs', options.snapshotTopicConfigs);
  if (topicConfigs['cleanup.policy'] !== undefined && topicConfigs['cleanup.policy'] !== 'compact') {
    throw new TypeError(`${owner}: snapshotTopicConfigs["cleanup.policy"] must be "compact": with "delete", retention would remove the latest snapshot`);
  }
  return {
    connection,
    snapshotTopicPrefix: checkTopicText(owner, 'snapshotTopicPrefix', options.snapshotTopicPrefix ?? 'snapshot-', true),
    replicationFactor: replication(owner, options.replicationFactor ?? -1),
    snapshotTopicConfigs: { ...topicConfigs, 'cleanup.policy': 'compact' },
    fetchBytes: positiveInt(owner, 'fetchBytes', options.fetchBytes ?? 4 * 1024 * 1024),
  };
}
