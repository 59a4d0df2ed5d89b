import cassandra from 'cassandra-driver';
import type { ConsistencyName, ResolvedConnectionOptions, SerialConsistencyName } from '../cassandra-options.js';
import { CassandraSchemaError, CassandraUnreachableError, describeDriverError } from '../errors.js';
import { RequestGate } from './request-gate.js';

const { Client, policies, types } = cassandra;

const CONSISTENCY_CODES: Readonly<Record<ConsistencyName, number>> = {
  ANY: types.consistencies.any,
  ONE: types.consistencies.one,
  TWO: types.consistencies.two,
  THREE: types.consistencies.three,
  QUORUM: types.consistencies.quorum,
  ALL: types.consistencies.all,
  LOCAL_QUORUM: types.consistencies.localQuorum,
  EACH_QUORUM: types.consistencies.eachQuorum,
  LOCAL_ONE: types.consistencies.localOne,
};

/** The driver's numeric code of a consistency level. */
export function consistencyCode(name: ConsistencyName): number {
  return CONSISTENCY_CODES[name];
}

/** A column a table created by an older version may lack, with the `ALTER TABLE … ADD` that adds it. */
export interface RequiredColumn {
  readonly table: string;
  readonly name: string;
  readonly add: string;
}

/** The driver's numeric code of a serial consistency level (the Paxos phase of lightweight transactions). */
export function serialConsistencyCode(name: SerialConsistencyName): number {
  return name === 'LOCAL_SERIAL' ? types.consistencies.localSerial : types.consistencies.serial;
}

/** What a schema needs to exist: keyspace, table names, the statements creating them, and columns added later. */
export interface SchemaSpec {
  readonly keyspace: string;
  readonly tables: readonly string[];
  readonly statements: readonly string[];
  readonly columns?: readonly RequiredColumn[];
}

/**
 * One connection to Cassandra for a journal or a snapshot store: creates (or adopts) the
 * driver Client, connects on first use with a clear error naming the contact points,
 * makes sure the schema exists, and converts bigint values both ways.
 *
 * A failed connection is not cached: the next call tries again (e.g. after the actor's
 * backoff restart), with a fresh Client when this CassandraSession created the client.
 */
export class CassandraSession {
  private client: cassandra.Client | undefined;
  private ready: Promise<cassandra.Client> | undefined;
  private closed = false;
  private readonly owned: boolean;
  private readonly gate: RequestGate;
  /** bigint parameters as the client's encoder wants them (number, or string under useBigIntAsLong). */
  readonly long: (value: number) => number | string;

  constructor(
    private readonly owner: string,
    private readonly options: ResolvedConnectionOptions,
    private readonly schema: SchemaSpec,
  ) {
    this.owned = options.client === undefined;
    this.gate = new RequestGate(options.maxConcurrentRequests);
    this.client = options.client;
    const bigIntEncoding = clientOptions(options.client)?.encoding?.useBigIntAsLong === true;
    this.long = bigIntEncoding ? (value) => String(value) : (value) => value;
  }

  /** The connected client with the schema in place; connects on the first call. */
  connected(): Promise<cassandra.Client> {
    if (this.closed) return Promise.reject(new TypeError(`${this.owner}: closed`));
    if (this.ready === undefined) {
      const attempt = this.connect();
      this.ready = attempt;
      attempt.catch(() => {
        if (this.ready === attempt) this.ready = undefined;
      });
    }
    return this.ready;
  }

  /** Runs one statement, waiting for a slot when `maxConcurrentRequests` are in flight. */
  execute(client: cassandra.Client, query: string, params: unknown[], options: cassandra.QueryOptions): Promise<cassandra.types.ResultSet> {
    return this.gate.run(() => client.execute(query, params, options));
  }

  /** Runs one batch, waiting for a slot like `execute`. */
  batch(client: cassandra.Client, queries: { query: string; params: unknown[] }[], options: cassandra.QueryOptions): Promise<cassandra.types.ResultSet> {
    return this.gate.run(() => client.batch(queries, options));
  }

  /** The contact points as the error messages name them. */
  describeContactPoints(): readonly string[] {
    if (this.options.contactPoints.length > 0) return this.options.contactPoints;
    return (clientOptions(this.options.client)?.contactPoints ?? []).map(String);
  }

  /** Shuts the client down if this CassandraSession created it (a client passed in by the caller stays open). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (this.owned && client !== undefined) await client.shutdown();
  }

  private async connect(): Promise<cassandra.Client> {
    let client = this.client;
    if (client === undefined) {
      client = this.createClient();
      this.client = client;
    }
    try {
      await client.connect();
    } catch (error) {
      if (this.owned) {
        this.client = undefined;
        await client.shutdown().catch(() => undefined);
      }
      throw new CassandraUnreachableError(this.describeContactPoints(), error);
    }
    await this.ensureSchema(client);
    return client;
  }

  private createClient(): cassandra.Client {
    const o = this.options;
    return new Client({
      contactPoints: [...o.contactPoints],
      localDataCenter: o.localDataCenter,
      socketOptions: { connectTimeout: o.connectTimeoutMs, readTimeout: o.requestTimeoutMs },
      // The driver's default waits up to 10 minutes between attempts; a journal should
      // notice a restarted node within seconds (the actor's backoff restart is waiting).
      policies: { reconnection: new policies.reconnection.ExponentialReconnectionPolicy(250, 2000, true) },
      queryOptions: { prepare: true, isIdempotent: true, consistency: consistencyCode(o.readConsistency) },
    });
  }

  private async ensureSchema(client: cassandra.Client): Promise<void> {
    const { keyspace, tables, statements } = this.schema;
    let existing: Set<string>;
    try {
      const result = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [keyspace], { prepare: true });
      existing = new Set(result.rows.map((row) => String(row['table_name'])));
    } catch (error) {
      throw new CassandraSchemaError(`${this.owner}: reading the schema of keyspace "${keyspace}" failed: ${describeDriverError(error)}`, error);
    }
    const missing = tables.filter((table) => !existing.has(table));
    if (missing.length === 0) return this.ensureColumns(client);
    if (!this.options.createSchema) {
      throw new CassandraSchemaError(
        `${this.owner}: table(s) ${missing.map((t) => `${keyspace}.${t}`).join(', ')} do not exist and createSchema is off; create them with the CQL in the @troupe/persistence-cassandra README`,
      );
    }
    for (const statement of statements) {
      try {
        // DDL waits for schema agreement inside the driver before it resolves.
        await client.execute(statement);
      } catch (error) {
        throw new CassandraSchemaError(`${this.owner}: creating the schema failed at "${statement.slice(0, 80)}…": ${describeDriverError(error)}`, error);
      }
    }
    // A table that already existed (CREATE TABLE IF NOT EXISTS did nothing) may be older.
    await this.ensureColumns(client);
  }

  /** Adds the columns an older version's tables lack; stored rows keep their values (the new cells read as null). */
  private async ensureColumns(client: cassandra.Client): Promise<void> {
    const required = this.schema.columns ?? [];
    if (required.length === 0) return;
    const missing = await this.missingColumns(client, required);
    if (missing.length === 0) return;
    if (!this.options.createSchema) {
      throw new CassandraSchemaError(`${this.owner}: column(s) missing and createSchema is off; run: ${missing.map((column) => `${column.add};`).join(' ')}`);
    }
    for (const column of missing) {
      try {
        await client.execute(column.add);
      } catch (error) {
        // Another process may have added it at the same moment: only a still-missing column is an error.
        if ((await this.missingColumns(client, [column])).length > 0) {
          throw new CassandraSchemaError(`${this.owner}: adding column ${column.name} failed at "${column.add}": ${describeDriverError(error)}`, error);
        }
      }
    }
  }

  private async missingColumns(client: cassandra.Client, required: readonly RequiredColumn[]): Promise<RequiredColumn[]> {
    const { keyspace } = this.schema;
    const missing: RequiredColumn[] = [];
    for (const table of new Set(required.map((column) => column.table))) {
      let present: Set<string>;
      try {
        const result = await client.execute('SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?', [keyspace, table], { prepare: true });
        present = new Set(result.rows.map((row) => String(row['column_name'])));
      } catch (error) {
        throw new CassandraSchemaError(`${this.owner}: reading the columns of ${keyspace}.${table} failed: ${describeDriverError(error)}`, error);
      }
      missing.push(...required.filter((column) => column.table === table && !present.has(column.name)));
    }
    return missing;
  }
}

// `Client.options` exists at run time but is missing from the driver's typings.
function clientOptions(client: cassandra.Client | undefined): cassandra.ClientOptions | undefined {
  return (client as unknown as { options?: cassandra.ClientOptions } | undefined)?.options;
}

/** A bigint column value (Long, bigint or number) as a JS number. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value === null || value === undefined) return 0;
  return (value as { toNumber(): number }).toNumber();
}
