import { type SnapshotSelectionCriteria, type SnapshotStore, type StoredSnapshot } from '@troupe/persistence';
import cassandra from 'cassandra-driver';
import { type CassandraSnapshotStoreOptions, type ResolvedCassandraSnapshotStoreOptions, resolveSnapshotStoreOptions } from './cassandra-options.js';
import { CassandraWriteRejectedError } from './errors.js';
import { CassandraSession, consistencyCode, toNumber } from './internal/cassandra-session.js';
import { SnapshotStatements } from './snapshot-statements.js';

const MAX_SEQUENCE_NR = Number.MAX_SAFE_INTEGER;
// Candidate rows (sequence number and timestamp only) read per page while choosing.
const METADATA_PAGE = 500;

/**
 * The snapshot store on Apache Cassandra: table `snapshots`, one partition per persistence
 * id, clustered by `sequence_nr DESC`. Loading reads the metadata of the candidates
 * (newest first) and then the data of the one chosen; timestamps are filtered here,
 * sequence-number bounds by Cassandra.
 *
 * @example
 * const snapshots = new CassandraSnapshotStore({ contactPoints: ['127.0.0.1:9042'] });
 * Persistence.configure(system, { journals: { default: journal }, snapshotStores: { default: snapshots } });
 */
export class CassandraSnapshotStore implements SnapshotStore {
  /** The options in force, defaults applied. */
  readonly options: ResolvedCassandraSnapshotStoreOptions;
  /** The CQL the store runs. */
  readonly statements: SnapshotStatements;
  private readonly session: CassandraSession;
  private readonly readOptions: cassandra.QueryOptions;
  private readonly writeOptions: cassandra.QueryOptions;

  /** Creates the store without connecting: the first call connects (see `connect` to fail fast). */
  constructor(options: CassandraSnapshotStoreOptions) {
    this.options = resolveSnapshotStoreOptions(options);
    const o = this.options;
    this.statements = new SnapshotStatements(o.keyspace, o.snapshotsTable);
    this.session = new CassandraSession('CassandraSnapshotStore', o, { keyspace: o.keyspace, tables: [o.snapshotsTable], statements: this.statements.schema(o.keyspace, o.replication) });
    this.readOptions = { prepare: true, consistency: consistencyCode(o.readConsistency) };
    this.writeOptions = { prepare: true, isIdempotent: true, consistency: consistencyCode(o.writeConsistency) };
  }

  /**
   * Creates the store and connects at once.
   * @throws CassandraUnreachableError naming every `host:port` tried, when no node answers
   */
  static async connect(options: CassandraSnapshotStoreOptions): Promise<CassandraSnapshotStore> {
    const store = new CassandraSnapshotStore(options);
    try {
      await store.session.connected();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  async saveSnapshot(snapshot: StoredSnapshot): Promise<void> {
    if (snapshot.payload.byteLength > this.options.maxSnapshotBytes) {
      throw new CassandraWriteRejectedError(`snapshot of "${snapshot.persistenceId}" has ${snapshot.payload.byteLength} bytes; maxSnapshotBytes is ${this.options.maxSnapshotBytes}`);
    }
    const client = await this.session.connected();
    const long = this.session.long;
    const payload = Buffer.isBuffer(snapshot.payload) ? snapshot.payload : Buffer.from(snapshot.payload.buffer, snapshot.payload.byteOffset, snapshot.payload.byteLength);
    await this.session.execute(
      client,
      this.statements.insertSnapshot,
      [snapshot.persistenceId, long(snapshot.sequenceNr), long(snapshot.timestamp), snapshot.serializerId, snapshot.manifest, payload],
      this.writeOptions,
    );
  }

  async loadSnapshot(persistenceId: string, criteria: SnapshotSelectionCriteria): Promise<StoredSnapshot | undefined> {
    const client = await this.session.connected();
    for await (const candidate of this.matching(client, persistenceId, criteria)) {
      const result = await this.session.execute(client, this.statements.selectSnapshot, [persistenceId, this.session.long(candidate.sequenceNr)], this.readOptions);
      const row = result.first();
      // Deleted between the two reads: try the next older one.
      if (row === null || row === undefined) continue;
      return {
        persistenceId,
        sequenceNr: toNumber(row['sequence_nr']),
        timestamp: toNumber(row['timestamp']),
        serializerId: row['ser_id'] as string,
        manifest: row['ser_manifest'] as string,
        payload: row['snapshot_data'] as Buffer,
      };
    }
    return undefined;
  }

  async deleteSnapshot(persistenceId: string, sequenceNr: number): Promise<void> {
    const client = await this.session.connected();
    await this.session.execute(client, this.statements.deleteSnapshot, [persistenceId, this.session.long(sequenceNr)], this.writeOptions);
  }

  async deleteSnapshots(persistenceId: string, criteria: SnapshotSelectionCriteria): Promise<void> {
    const client = await this.session.connected();
    const long = this.session.long;
    const [min, max] = sequenceBounds(criteria);
    if (min > max) return;
    if (criteria.minTimestamp <= 0 && criteria.maxTimestamp === Infinity) {
      // No timestamp bound: one range tombstone.
      await this.session.execute(client, this.statements.deleteRange, [persistenceId, long(min), long(max)], this.writeOptions);
      return;
    }
    const doomed: number[] = [];
    for await (const candidate of this.matching(client, persistenceId, criteria)) doomed.push(candidate.sequenceNr);
    await Promise.all(doomed.map((seq) => this.session.execute(client, this.statements.deleteSnapshot, [persistenceId, long(seq)], this.writeOptions)));
  }

  /** Closes the driver client (unless it was given in `options.client`). */
  close(): Promise<void> {
    return this.session.close();
  }

  /** Sequence numbers and timestamps of the snapshots matching `criteria`, newest first. */
  private async *matching(client: cassandra.Client, persistenceId: string, criteria: SnapshotSelectionCriteria): AsyncIterable<{ sequenceNr: number; timestamp: number }> {
    const [min, max] = sequenceBounds(criteria);
    if (min > max || criteria.minTimestamp > criteria.maxTimestamp) return;
    let pageState: string | undefined;
    do {
      const options: cassandra.QueryOptions = { ...this.readOptions, fetchSize: METADATA_PAGE };
      if (pageState !== undefined) options.pageState = pageState;
      const result = await this.session.execute(client, this.statements.selectMetadata, [persistenceId, this.session.long(min), this.session.long(max)], options);
      for (const row of result.rows) {
        const sequenceNr = toNumber(row['sequence_nr']);
        const timestamp = toNumber(row['timestamp']);
        if (timestamp >= criteria.minTimestamp && timestamp <= criteria.maxTimestamp) yield { sequenceNr, timestamp };
      }
      pageState = result.pageState ?? undefined;
    } while (pageState !== undefined && pageState !== null);
  }
}

function sequenceBounds(criteria: SnapshotSelectionCriteria): [number, number] {
  return [Math.max(0, criteria.minSequenceNr), Math.min(criteria.maxSequenceNr, MAX_SEQUENCE_NR)];
}
