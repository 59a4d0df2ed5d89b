import type { Client } from 'cassandra-driver';

/** Consistency levels by their CQL names (as `CONSISTENCY` in cqlsh takes them). */
export type ConsistencyName = 'ANY' | 'ONE' | 'TWO' | 'THREE' | 'QUORUM' | 'ALL' | 'LOCAL_QUORUM' | 'EACH_QUORUM' | 'LOCAL_ONE';

/** Serial consistency levels of lightweight transactions (their Paxos phase). */
export type SerialConsistencyName = 'SERIAL' | 'LOCAL_SERIAL';

/** Keyspace replication used when the plugin creates the keyspace (`createSchema`). */
export type Replication =
  { readonly strategy: 'SimpleStrategy'; readonly replicationFactor: number } | { readonly strategy: 'NetworkTopologyStrategy'; readonly dataCenters: Readonly<Record<string, number>> };

/** How to reach Cassandra; shared by the journal and the snapshot store. */
export interface CassandraConnectionOptions {
  /**
   * `host:port` (or `host`, then port 9042) of one or more nodes. Required unless `client`
   * is given. @example ['127.0.0.1:19042']
   */
  readonly contactPoints?: readonly string[];
  /** Data centre the driver treats as local (load balancing). @default 'datacenter1' */
  readonly localDataCenter?: string;
  /**
   * A connected or unconnected `cassandra-driver` Client to use instead of creating one;
   * lets a journal and a snapshot store share one session. `close()` leaves it open (its
   * owner shuts it down).
   */
  readonly client?: Client;
  /** Milliseconds to wait for a TCP connection to a node. @default 5000 */
  readonly connectTimeoutMs?: number;
  /**
   * Milliseconds a request may take before the driver fails it. Below the runtime's group-commit
   * `batching.callTimeoutMs` (10 s by default), so a hung node surfaces as the driver's own error. @default 8000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Create the keyspace and tables on first use when they are missing. Turn it off in
   * production: concurrent schema creation from several nodes can disagree ("column id
   * mismatch"); create the schema once with the CQL in the README instead. @default true
   */
  readonly createSchema?: boolean;
  /** Replication of a keyspace created by `createSchema`. @default { strategy: 'SimpleStrategy', replicationFactor: 1 } */
  readonly replication?: Replication;
  /**
   * Most driver requests this journal or store has in flight; more wait in order. The driver
   * allows 2048 per connection and fails the rest, e.g. when thousands of actors recover at
   * once. @default 1024
   */
  readonly maxConcurrentRequests?: number;
  /** Consistency of reads. @default 'QUORUM' */
  readonly readConsistency?: ConsistencyName;
  /** Consistency of writes and deletes. @default 'QUORUM' */
  readonly writeConsistency?: ConsistencyName;
}

/** Options of `CassandraJournal`. */
export interface CassandraJournalOptions extends CassandraConnectionOptions {
  /** Keyspace of the journal tables. @default 'troupe' */
  readonly keyspace?: string;
  /** Events table. @default 'messages' */
  readonly messagesTable?: string;
  /** Deleted-to marks per persistence id. @default 'metadata' */
  readonly metadataTable?: string;
  /** Every persistence id ever written. @default 'all_persistence_ids' */
  readonly allPersistenceIdsTable?: string;
  /** The ordered log of tagged events that `currentEventsByTag` reads. @default 'tag_log' */
  readonly tagLogTable?: string;
  /** The ordered log of persistence ids that `currentPersistenceIds` reads. @default 'persistence_id_log' */
  readonly persistenceIdLogTable?: string;
  /**
   * Entries per block (Cassandra partition) of the ordered logs, at most 1,048,575 (the
   * offset format's room). A block also caps the events of one tag in one atomic write.
   * Changing it later is safe: blocks are found by their sealed flags, not by arithmetic. @default 100000
   */
  readonly tagBlockSize?: number;
  /**
   * Events per Cassandra partition of one persistence id: event `n` belongs to partition
   * `floor((n - 1) / targetPartitionSize)`, and an atomic write that would cross a boundary
   * goes whole into the next partition. Never change it once data exists: readers would
   * look in the wrong partitions. It also caps the events of one atomic write. @default 500000
   */
  readonly targetPartitionSize?: number;
  /** Rows per replay query (one page of `replayMessages`; the driver's default fetch size). @default 5000 */
  readonly replayPageSize?: number;
  /** A write whose event payload exceeds this many bytes is rejected (not stored). @default 4 MiB */
  readonly maxPayloadBytes?: number;
  /**
   * An atomic write whose payloads add up to more than this many bytes is rejected. Keep it
   * below half of the server's `commitlog_segment_size` (its mutation limit). @default 8 MiB
   */
  readonly maxWriteBytes?: number;
  /** Most statements (atomic writes, or range deletes) of one call sent to Cassandra at once; the driver allows 2048 per connection. @default 1024 */
  readonly maxConcurrentWrites?: number;
  /**
   * Serial consistency of the lightweight transactions every write and claim runs (their
   * Paxos phase; `writeConsistency` is their commit). `LOCAL_SERIAL` keeps Paxos in the local
   * data centre: faster across data centres, but two writers in two data centres are then
   * fenced only as well as each data centre alone sees them. @default 'SERIAL'
   */
  readonly serialConsistency?: SerialConsistencyName;
  /**
   * UNSAFE. Plain `INSERT`s instead of conditional writes: about twice the write throughput
   * (see BENCHMARKS.md), but two writers of one persistence id (split brain, double spawn,
   * a zombie after failover) silently overwrite each other's acknowledged events, a taken
   * sequence number is never refused, and `claimWriter` fences nothing. Only when something
   * outside the journal guarantees one writer per id. Never mix it with conditional writes on
   * one table: plain inserts do not maintain the partitions' `high` column. @default false
   */
  readonly unsafeUnconditionalWrites?: boolean;
}

/** Options of `CassandraSnapshotStore`. */
export interface CassandraSnapshotStoreOptions extends CassandraConnectionOptions {
  /** Keyspace of the snapshots table. @default 'troupe_snapshot' */
  readonly keyspace?: string;
  /** Snapshots table. @default 'snapshots' */
  readonly snapshotsTable?: string;
  /** A snapshot above this many bytes is refused with an error. @default 8 MiB */
  readonly maxSnapshotBytes?: number;
}

/** Connection options with every default applied. */
export interface ResolvedConnectionOptions {
  readonly contactPoints: readonly string[];
  readonly localDataCenter: string;
  readonly client: Client | undefined;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly createSchema: boolean;
  readonly replication: Replication;
  readonly maxConcurrentRequests: number;
  readonly readConsistency: ConsistencyName;
  readonly writeConsistency: ConsistencyName;
}

/** Journal options with every default applied. */
export interface ResolvedCassandraJournalOptions extends ResolvedConnectionOptions {
  readonly keyspace: string;
  readonly messagesTable: string;
  readonly metadataTable: string;
  readonly allPersistenceIdsTable: string;
  readonly tagLogTable: string;
  readonly persistenceIdLogTable: string;
  readonly tagBlockSize: number;
  readonly targetPartitionSize: number;
  readonly replayPageSize: number;
  readonly maxPayloadBytes: number;
  readonly maxWriteBytes: number;
  readonly maxConcurrentWrites: number;
  readonly serialConsistency: SerialConsistencyName;
  readonly unsafeUnconditionalWrites: boolean;
}

/** Snapshot-store options with every default applied. */
export interface ResolvedCassandraSnapshotStoreOptions extends ResolvedConnectionOptions {
  readonly keyspace: string;
  readonly snapshotsTable: string;
  readonly maxSnapshotBytes: number;
}

const MiB = 1024 * 1024;
const CONSISTENCIES: readonly ConsistencyName[] = ['ANY', 'ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE'];
// Unquoted CQL identifiers: what the schema statements can embed safely.
const IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9_]{0,47}$/;

/** Applies the journal defaults and checks every field, naming the bad one. */
export function resolveJournalOptions(options: CassandraJournalOptions): ResolvedCassandraJournalOptions {
  const owner = 'CassandraJournal';
  return {
    ...resolveConnection(owner, options),
    keyspace: identifier(owner, 'keyspace', options.keyspace ?? 'troupe'),
    messagesTable: identifier(owner, 'messagesTable', options.messagesTable ?? 'messages'),
    metadataTable: identifier(owner, 'metadataTable', options.metadataTable ?? 'metadata'),
    allPersistenceIdsTable: identifier(owner, 'allPersistenceIdsTable', options.allPersistenceIdsTable ?? 'all_persistence_ids'),
    tagLogTable: identifier(owner, 'tagLogTable', options.tagLogTable ?? 'tag_log'),
    persistenceIdLogTable: identifier(owner, 'persistenceIdLogTable', options.persistenceIdLogTable ?? 'persistence_id_log'),
    tagBlockSize: blockSize(owner, options.tagBlockSize ?? 100_000),
    targetPartitionSize: positiveInteger(owner, 'targetPartitionSize', options.targetPartitionSize ?? 500_000),
    replayPageSize: positiveInteger(owner, 'replayPageSize', options.replayPageSize ?? 5000),
    maxPayloadBytes: positiveInteger(owner, 'maxPayloadBytes', options.maxPayloadBytes ?? 4 * MiB),
    maxWriteBytes: positiveInteger(owner, 'maxWriteBytes', options.maxWriteBytes ?? 8 * MiB),
    maxConcurrentWrites: positiveInteger(owner, 'maxConcurrentWrites', options.maxConcurrentWrites ?? 1024),
    serialConsistency: serialConsistency(owner, options.serialConsistency ?? 'SERIAL'),
    unsafeUnconditionalWrites: booleanOption(owner, 'unsafeUnconditionalWrites', options.unsafeUnconditionalWrites ?? false),
  };
}

function blockSize(owner: string, value: number): number {
  positiveInteger(owner, 'tagBlockSize', value);
  if (value > 1_048_575) throw new RangeError(`${owner}: tagBlockSize must be at most 1048575 (the offset format's room per block), got ${value}`);
  return value;
}

function serialConsistency(owner: string, value: SerialConsistencyName): SerialConsistencyName {
  if (value !== 'SERIAL' && value !== 'LOCAL_SERIAL') throw new TypeError(`${owner}: serialConsistency must be 'SERIAL' or 'LOCAL_SERIAL', got "${String(value)}"`);
  return value;
}

function booleanOption(owner: string, field: string, value: boolean): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${owner}: ${field} must be a boolean, got ${String(value)}`);
  return value;
}

/** Applies the snapshot-store defaults and checks every field, naming the bad one. */
export function resolveSnapshotStoreOptions(options: CassandraSnapshotStoreOptions): ResolvedCassandraSnapshotStoreOptions {
  const owner = 'CassandraSnapshotStore';
  return {
    ...resolveConnection(owner, options),
    keyspace: identifier(owner, 'keyspace', options.keyspace ?? 'troupe_snapshot'),
    snapshotsTable: identifier(owner, 'snapshotsTable', options.snapshotsTable ?? 'snapshots'),
    maxSnapshotBytes: positiveInteger(owner, 'maxSnapshotBytes', options.maxSnapshotBytes ?? 8 * MiB),
  };
}

function resolveConnection(owner: string, options: CassandraConnectionOptions): ResolvedConnectionOptions {
  if (options === null || typeof options !== 'object') throw new TypeError(`${owner}: options must be an object`);
  const contactPoints = options.contactPoints ?? [];
  if (!Array.isArray(contactPoints) || !contactPoints.every((point) => typeof point === 'string' && point.trim() !== '')) {
    throw new TypeError(`${owner}: contactPoints must be an array of "host:port" strings`);
  }
  if (options.client === undefined && contactPoints.length === 0) throw new TypeError(`${owner}: give contactPoints (e.g. ['127.0.0.1:9042']) or a client`);
  const localDataCenter = options.localDataCenter ?? 'datacenter1';
  if (typeof localDataCenter !== 'string' || localDataCenter === '') throw new TypeError(`${owner}: localDataCenter must be a non-empty string`);
  const replication = options.replication ?? { strategy: 'SimpleStrategy', replicationFactor: 1 };
  checkReplication(owner, replication);
  const createSchema = options.createSchema ?? true;
  if (typeof createSchema !== 'boolean') throw new TypeError(`${owner}: createSchema must be a boolean`);
  return {
    contactPoints,
    localDataCenter,
    client: options.client,
    connectTimeoutMs: positiveInteger(owner, 'connectTimeoutMs', options.connectTimeoutMs ?? 5000),
    requestTimeoutMs: positiveInteger(owner, 'requestTimeoutMs', options.requestTimeoutMs ?? 8000),
    maxConcurrentRequests: positiveInteger(owner, 'maxConcurrentRequests', options.maxConcurrentRequests ?? 1024),
    createSchema,
    replication,
    readConsistency: consistency(owner, 'readConsistency', options.readConsistency ?? 'QUORUM'),
    writeConsistency: consistency(owner, 'writeConsistency', options.writeConsistency ?? 'QUORUM'),
  };
}

function checkReplication(owner: string, replication: Replication): void {
  if (replication?.strategy === 'SimpleStrategy') {
    positiveInteger(owner, 'replication.replicationFactor', replication.replicationFactor);
    return;
  }
  if (replication?.strategy === 'NetworkTopologyStrategy') {
    const entries = Object.entries(replication.dataCenters ?? {});
    if (entries.length === 0) throw new TypeError(`${owner}: replication.dataCenters must name at least one data centre`);
    for (const [dc, factor] of entries) {
      if (!/^[\w.-]+$/.test(dc)) throw new TypeError(`${owner}: replication.dataCenters has an invalid data centre name "${dc}"`);
      positiveInteger(owner, `replication.dataCenters.${dc}`, factor);
    }
    return;
  }
  throw new TypeError(`${owner}: replication.strategy must be 'SimpleStrategy' or 'NetworkTopologyStrategy'`);
}

function identifier(owner: string, field: string, value: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value))
    throw new TypeError(`${owner}: ${field} must be a CQL identifier (a letter, then letters, digits or _; at most 48), got "${String(value)}"`);
  return value;
}

function positiveInteger(owner: string, field: string, value: number): number {
  if (!(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`${owner}: ${field} must be a positive integer, got ${String(value)}`);
  return value;
}

function consistency(owner: string, field: string, value: ConsistencyName): ConsistencyName {
  if (!CONSISTENCIES.includes(value)) throw new TypeError(`${owner}: ${field} must be one of ${CONSISTENCIES.join(', ')}, got "${String(value)}"`);
  return value;
}
