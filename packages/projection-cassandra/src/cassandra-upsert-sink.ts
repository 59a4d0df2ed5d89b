import cassandra from 'cassandra-driver';
import { type SinkConsistency, consistencyOf } from './consistency.js';
import { checkCqlName } from './internal/cql-names.js';
import { CassandraSinkSchemaError, CassandraUpsertError } from './errors.js';
import { runLimited } from './internal/run-limited.js';

/** Options of `CassandraUpsertSink.create`; defaults in `CassandraUpsertSinkDefaults`. */
export interface CassandraUpsertSinkOptions {
  /** A `cassandra-driver` client; the sink never shuts it down. */
  readonly client: cassandra.Client;
  readonly keyspace: string;
  /** An existing table without counter columns. */
  readonly table: string;
  /**
   * The columns each row gives values for, in order. They must include every primary key
   * column: an upsert is keyed by what the events determine, never appended.
   */
  readonly columns: readonly string[];
  /** Most statements (a single row or one partition's batch) in flight at once. @default 64 */
  readonly concurrency?: number;
  /** Most rows of one partition in one unlogged batch. @default 50 */
  readonly maxBatchRows?: number;
  /** @default 'QUORUM' */
  readonly consistency?: SinkConsistency;
}

/** Every default of `CassandraUpsertSink`, in one place. */
export const CassandraUpsertSinkDefaults = {
  concurrency: 64,
  maxBatchRows: 50,
  consistency: 'QUORUM',
} as const;

/** A row's values, in the sink's `columns` order. */
export type UpsertRow = readonly unknown[];

/**
 * Idempotent writes into one Cassandra table, for projections whose offsets cannot share a
 * transaction with the sink (`CassandraOffsetStore`): every write is an `INSERT` keyed by
 * the table's whole primary key, so writing the same rows again after a crash leaves the
 * table as one pass would (effectively once). Counter columns are refused when the sink is
 * created: `counter = counter + 1` replayed counts twice.
 *
 * Rows are grouped by partition: several rows of one partition go in one unlogged batch
 * (one partition, one mutation on the replica), rows of different partitions go as
 * separate statements, up to `concurrency` at once. Within one `upsert` call, rows with the
 * same primary key are written in the order given only if they share a batch; give each
 * key once per call (the last value for it) when the order matters.
 *
 * @example
 * const totals = await CassandraUpsertSink.create({ client, keyspace: 'shop', table: 'order_total', columns: ['order_id', 'total', 'last_seq'] });
 * await totals.upsert([['o-1', 120, 7], ['o-2', 15, 2]]);
 */
export class CassandraUpsertSink {
  private readonly insert: string;
  private readonly remove: string;
  private readonly options: { readonly prepare: true; readonly consistency: number };
  private readonly batchOptions: { readonly prepare: true; readonly consistency: number; readonly logged: false };

  private constructor(
    private readonly client: cassandra.Client,
    /** `keyspace.table`. */
    readonly table: string,
    /** The columns of a row, in order. */
    readonly columns: readonly string[],
    /** Positions in `columns` of the partition key columns. */
    private readonly partitionKey: readonly number[],
    /** Positions in `columns` of the primary key columns (partition, then clustering). */
    private readonly primaryKey: readonly number[],
    private readonly concurrency: number,
    private readonly maxBatchRows: number,
    consistency: number,
  ) {
    this.insert = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    this.remove = `DELETE FROM ${table} WHERE ${primaryKey.map((i) => `${columns[i]} = ?`).join(' AND ')}`;
    this.options = { prepare: true, consistency };
    this.batchOptions = { prepare: true, consistency, logged: false };
  }

  /**
   * Reads the table's schema and returns the sink. @throws TypeError/RangeError naming a
   * bad option — including a counter column in the table or a primary key column missing
   * from `columns`; rejects with `CassandraSinkSchemaError` when the table does not exist
   */
  static async create(options: CassandraUpsertSinkOptions): Promise<CassandraUpsertSink> {
    const owner = 'CassandraUpsertSink';
    if (options === null || typeof options !== 'object') throw new TypeError(`${owner}: options must be an object`);
    if (!(options.client instanceof cassandra.Client)) throw new TypeError(`${owner}: client must be a cassandra-driver Client`);
    const keyspace = checkCqlName(owner, 'keyspace', options.keyspace);
    const tableName = checkCqlName(owner, 'table', options.table);
    if (!Array.isArray(options.columns) || options.columns.length === 0) throw new TypeError(`${owner}: columns must be a non-empty array of column names`);
    const columns = options.columns.map((column) => checkCqlName(owner, 'columns[]', column));
    if (new Set(columns).size !== columns.length) throw new TypeError(`${owner}: columns must not repeat a column, got ${columns.join(', ')}`);
    const concurrency = options.concurrency ?? CassandraUpsertSinkDefaults.concurrency;
    if (!(Number.isSafeInteger(concurrency) && concurrency > 0)) throw new RangeError(`${owner}: concurrency must be a positive integer, got ${concurrency}`);
    const maxBatchRows = options.maxBatchRows ?? CassandraUpsertSinkDefaults.maxBatchRows;
    if (!(Number.isSafeInteger(maxBatchRows) && maxBatchRows > 0)) throw new RangeError(`${owner}: maxBatchRows must be a positive integer, got ${maxBatchRows}`);
    const consistency = consistencyOf(owner, 'consistency', options.consistency ?? CassandraUpsertSinkDefaults.consistency);
    const qualified = `${keyspace}.${tableName}`;

    await options.client.connect();
    const table = await options.client.metadata.getTable(keyspace, tableName);
    if (table === null) throw new CassandraSinkSchemaError(`${owner}: table ${qualified} does not exist: create it first`);
    const counter = table.columns.find((column) => column.type.code === cassandra.types.dataTypes.counter);
    if (counter !== undefined) {
      throw new TypeError(`${owner}: ${qualified}.${counter.name} is a counter column; counters are not idempotent (a replay after a crash counts twice): store values the events determine instead`);
    }
    for (const column of columns) {
      if (!table.columns.some((c) => c.name === column)) throw new TypeError(`${owner}: ${qualified} has no column ${column}`);
    }
    const position = (name: string): number => {
      const index = columns.indexOf(name);
      if (index < 0) throw new TypeError(`${owner}: columns must include every primary key column of ${qualified}; ${name} is missing`);
      return index;
    };
    const partitionKey = table.partitionKeys.map((c) => position(c.name));
    const primaryKey = [...partitionKey, ...table.clusteringKeys.map((c) => position(c.name))];
    return new CassandraUpsertSink(options.client, qualified, columns, partitionKey, primaryKey, concurrency, maxBatchRows, consistency);
  }

  /**
   * Writes `rows` (values in `columns` order) and resolves when every one is acknowledged.
   * @throws RangeError when a row has the wrong number of values; rejects with
   *   `CassandraUpsertError` when a write fails (some rows may be written: write them again)
   */
  async upsert(rows: readonly UpsertRow[]): Promise<void> {
    for (const row of rows) {
      if (row.length !== this.columns.length) throw new RangeError(`CassandraUpsertSink ${this.table}: a row must have ${this.columns.length} values (${this.columns.join(', ')}), got ${row.length}`);
    }
    await this.run(rows.length, this.byPartition(rows), this.insert, (row) => row);
  }

  /**
   * Deletes rows by their primary key values (partition key then clustering columns, in
   * the table's order), e.g. an aggregate that no longer has any input.
   */
  async delete(keys: readonly UpsertRow[]): Promise<void> {
    const width = this.primaryKey.length;
    for (const key of keys) if (key.length !== width) throw new RangeError(`CassandraUpsertSink ${this.table}: a key must have ${width} values, got ${key.length}`);
    const partitionWidth = this.partitionKey.length;
    const groups = new Map<string, UpsertRow[]>();
    for (const key of keys) addTo(groups, partitionText(key.slice(0, partitionWidth)), key);
    await this.run(keys.length, groups, this.remove, (key) => key);
  }

  private byPartition(rows: readonly UpsertRow[]): Map<string, UpsertRow[]> {
    const groups = new Map<string, UpsertRow[]>();
    const [only, ...more] = this.partitionKey;
    for (const row of rows) {
      // A one-column text partition key (the usual entity id) is its own group key; anything else is encoded.
      const value = more.length === 0 ? row[only as number] : undefined;
      addTo(groups, typeof value === 'string' ? value : partitionText(this.partitionKey.map((i) => row[i])), row);
    }
    return groups;
  }

  private async run(count: number, groups: Map<string, UpsertRow[]>, query: string, params: (row: UpsertRow) => UpsertRow): Promise<void> {
    if (count === 0) return;
    const tasks: (() => Promise<unknown>)[] = [];
    for (const group of groups.values()) {
      for (let start = 0; start < group.length; start += this.maxBatchRows) {
        const chunk = group.slice(start, start + this.maxBatchRows);
        if (chunk.length === 1) tasks.push(() => this.client.execute(query, params(chunk[0] as UpsertRow) as unknown[], this.options));
        else
          tasks.push(() =>
            this.client.batch(
              chunk.map((row) => ({ query, params: params(row) as unknown[] })),
              this.batchOptions,
            ),
          );
      }
    }
    try {
      await runLimited(tasks, this.concurrency);
    } catch (error) {
      throw new CassandraUpsertError(this.table, count, error);
    }
  }
}

function addTo(groups: Map<string, UpsertRow[]>, key: string, row: UpsertRow): void {
  const group = groups.get(key);
  if (group === undefined) groups.set(key, [row]);
  else group.push(row);
}

// JSON keeps partitions apart whatever their values hold; Longs and Dates print as their values.
function partitionText(values: readonly unknown[]): string {
  return JSON.stringify(values.map((v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Date ? v.getTime() : v)));
}
