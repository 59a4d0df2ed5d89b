import cassandra from 'cassandra-driver';
import { type OffsetStore, OffsetStoreError, type ProjectionId } from '@troupe/projection';
import { type SinkConsistency, consistencyOf } from './consistency.js';
import { checkCqlName } from './internal/cql-names.js';
import { CassandraSinkSchemaError } from './errors.js';
import { ensureKeyspace, ensureTable } from './internal/keyspace-schema.js';

/** Options of `CassandraOffsetStore.create`; defaults in `CassandraOffsetStoreDefaults`. */
export interface CassandraOffsetStoreOptions {
  /** A `cassandra-driver` client; the store never shuts it down (the application owns it). */
  readonly client: cassandra.Client;
  /** Keyspace of the offset table. */
  readonly keyspace: string;
  /** @default 'projection_offset' */
  readonly table?: string;
  /** Create the keyspace (SimpleStrategy) and table when missing. @default true */
  readonly createSchema?: boolean;
  /** Replication factor of a keyspace `createSchema` creates. @default 1 */
  readonly replicationFactor?: number;
  /** Consistency of offset reads and writes. @default 'QUORUM' */
  readonly consistency?: SinkConsistency;
}

/** Every default of `CassandraOffsetStore`, in one place. */
export const CassandraOffsetStoreDefaults = {
  table: 'projection_offset',
  createSchema: true,
  replicationFactor: 1,
  consistency: 'QUORUM',
} as const;

/**
 * Projection offsets in a Cassandra table, one row per projection id
 * (`PRIMARY KEY ((projection_name, projection_key))`), Akka Projections' Cassandra offset
 * store without its manifest column (offsets here are numbers).
 *
 * Cassandra has no transaction to share with a sink, so a projection over this store is
 * at-least-once (`Projection.atLeastOnce` or `.grouped`): after a crash, what was handled
 * since the last stored offset is handled again, and the sink must be idempotent
 * (`CassandraUpsertSink`). A saved offset is one single-partition write at `consistency`;
 * offsets of one projection id must be written by one instance at a time (the last write wins).
 *
 * @example
 * const offsets = await CassandraOffsetStore.create({ client, keyspace: 'read_model' });
 */
export class CassandraOffsetStore implements OffsetStore {
  private readonly options: { readonly prepare: true; readonly consistency: number };

  private constructor(
    private readonly client: cassandra.Client,
    /** `keyspace.table` of the offsets. */
    readonly table: string,
    consistency: number,
  ) {
    this.options = { prepare: true, consistency };
  }

  /**
   * Checks the options, creates the keyspace and table unless `createSchema` is false,
   * and returns the store. @throws TypeError/RangeError naming a bad option;
   * rejects with `CassandraSinkSchemaError` when the schema cannot be created or is missing
   */
  static async create(options: CassandraOffsetStoreOptions): Promise<CassandraOffsetStore> {
    const owner = 'CassandraOffsetStore';
    if (options === null || typeof options !== 'object') throw new TypeError(`${owner}: options must be an object`);
    if (!(options.client instanceof cassandra.Client)) throw new TypeError(`${owner}: client must be a cassandra-driver Client`);
    const keyspace = checkCqlName(owner, 'keyspace', options.keyspace);
    const table = checkCqlName(owner, 'table', options.table ?? CassandraOffsetStoreDefaults.table);
    const createSchema = options.createSchema ?? CassandraOffsetStoreDefaults.createSchema;
    if (typeof createSchema !== 'boolean') throw new TypeError(`${owner}: createSchema must be a boolean`);
    const replicationFactor = options.replicationFactor ?? CassandraOffsetStoreDefaults.replicationFactor;
    if (!(Number.isSafeInteger(replicationFactor) && replicationFactor > 0)) throw new RangeError(`${owner}: replicationFactor must be a positive integer, got ${replicationFactor}`);
    const consistency = consistencyOf(owner, 'consistency', options.consistency ?? CassandraOffsetStoreDefaults.consistency);
    const qualified = `${keyspace}.${table}`;
    if (createSchema) {
      await ensureKeyspace(options.client, keyspace, replicationFactor);
      await ensureTable(
        options.client,
        qualified,
        `CREATE TABLE IF NOT EXISTS ${qualified} (projection_name text, projection_key text, current_offset bigint, last_updated timestamp, PRIMARY KEY ((projection_name, projection_key)))`,
      );
    } else {
      await options.client.connect();
      if (options.client.metadata.keyspaces[keyspace] === undefined || (await options.client.metadata.getTable(keyspace, table)) === null) {
        throw new CassandraSinkSchemaError(`${owner}: table ${qualified} does not exist (createSchema is off): create it first`);
      }
    }
    return new CassandraOffsetStore(options.client, qualified, consistency);
  }

  async readOffset(id: ProjectionId): Promise<number | undefined> {
    try {
      const result = await this.client.execute(`SELECT current_offset FROM ${this.table} WHERE projection_name = ? AND projection_key = ?`, [id.name, id.key], this.options);
      const value = result.first()?.get('current_offset') as cassandra.types.Long | null | undefined;
      return value === undefined || value === null ? undefined : value.toNumber();
    } catch (error) {
      throw new OffsetStoreError('read', `${id.name}/${id.key}`, error);
    }
  }

  async saveOffset(id: ProjectionId, offset: number): Promise<void> {
    if (!(Number.isSafeInteger(offset) && offset >= 0)) throw new RangeError(`CassandraOffsetStore.saveOffset: offset must be an integer >= 0, got ${offset}`);
    try {
      await this.client.execute(
        `INSERT INTO ${this.table} (projection_name, projection_key, current_offset, last_updated) VALUES (?, ?, ?, ?)`,
        [id.name, id.key, cassandra.types.Long.fromNumber(offset), new Date()],
        this.options,
      );
    } catch (error) {
      throw new OffsetStoreError('save', `${id.name}/${id.key}`, error);
    }
  }

  async clearOffset(id: ProjectionId): Promise<void> {
    try {
      await this.client.execute(`DELETE FROM ${this.table} WHERE projection_name = ? AND projection_key = ?`, [id.name, id.key], this.options);
    } catch (error) {
      throw new OffsetStoreError('clear', `${id.name}/${id.key}`, error);
    }
  }
}
