import type { Replication } from './cassandra-options.js';
import { OrderedLogStatements } from './ordered-log-statements.js';

/** Where the journal's tables are. */
export interface JournalTableNames {
  readonly keyspace: string;
  readonly messagesTable: string;
  readonly metadataTable: string;
  readonly allPersistenceIdsTable: string;
  readonly tagLogTable: string;
  readonly persistenceIdLogTable: string;
}

/** The `replication = {...}` map of CREATE KEYSPACE. */
export function replicationCql(replication: Replication): string {
  if (replication.strategy === 'SimpleStrategy') return `{'class': 'SimpleStrategy', 'replication_factor': ${replication.replicationFactor}}`;
  const dcs = Object.entries(replication.dataCenters).map(([dc, factor]) => `'${dc}': ${factor}`);
  return `{'class': 'NetworkTopologyStrategy', ${dcs.join(', ')}}`;
}

/** CREATE KEYSPACE IF NOT EXISTS. */
export function createKeyspaceCql(keyspace: string, replication: Replication): string {
  return `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${replicationCql(replication)}`;
}

// Column order of every statement reading events; `toRepr` depends on it by name only.
const EVENT_COLUMNS = 'sequence_nr, timestamp, writer_uuid, ser_id, ser_manifest, event_manifest, event, tags';

/**
 * Every CQL statement of the journal, built once from its table names. The layout follows
 * akka-persistence-cassandra (reference/storage-and-cluster-parameters.md, 2a), with the
 * columns Troupe's `PersistentRepr` needs:
 * - `messages`: partition key `(persistence_id, partition_nr)`, clustering `sequence_nr`;
 *   `tags` is a frozen list (one cell: no tombstone per insert, order kept).
 *   Four static columns per partition carry the single-writer state (see
 *   `internal/fenced-writer.ts`): `fence` (the writer uuid that claimed the id, null when never
 *   claimed), `high` (the highest sequence number a write stored in this partition) and
 *   `sealed` (true once a write opened the next partition: this one takes no more events),
 *   `claim_epoch` (orders claims: the claim with the higher epoch owns the partition).
 * - `metadata`: the `deleted_to` mark per persistence id.
 *   Two regular columns serve the ordered logs: `write_from` (the first sequence number of
 *   the atomic write the row belongs to) and `tag_blocks` (log key → the block that log was
 *   open at when the write was made; key '' is the persistence-id log); both are set only on
 *   writes that have log entries (tagged, or an id's first write).
 * - `metadata`: the `deleted_to` mark per persistence id.
 * - `all_persistence_ids`: one row per id, written with its first event.
 * - `tag_log` and `persistence_id_log`: the ordered logs the queries read (`OrderedLogStatements`).
 */
export class JournalStatements {
  readonly createMessages: string;
  readonly createMetadata: string;
  readonly createAllPersistenceIds: string;
  readonly insertEvent: string;
  readonly insertEventIfNotExists: string;
  readonly writeHigh: string;
  readonly writeEventAndHigh: string;
  readonly seal: string;
  readonly claim: string;
  readonly selectFence: string;
  /** The static columns added by `ALTER TABLE` to a messages table created before fencing. */
  readonly staticColumns: readonly { readonly name: string; readonly type: string }[] = [
    { name: 'fence', type: 'text' },
    { name: 'high', type: 'bigint' },
    { name: 'sealed', type: 'boolean' },
    { name: 'claim_epoch', type: 'bigint' },
  ];
  /** Regular columns added by `ALTER TABLE` to a messages table created before the ordered logs. */
  readonly logColumns: readonly { readonly name: string; readonly type: string }[] = [
    { name: 'write_from', type: 'bigint' },
    { name: 'tag_blocks', type: 'frozen<map<text, bigint>>' },
  ];
  readonly tagLog: OrderedLogStatements;
  readonly persistenceIdLog: OrderedLogStatements;
  readonly selectWriteEnd: string;
  readonly selectEvents: string;
  readonly selectHighest: string;
  readonly selectDeletedTo: string;
  readonly updateDeletedTo: string;
  readonly deleteEventsTo: string;
  readonly insertPersistenceId: string;
  readonly selectPersistenceIds: string;
  readonly scanTokenRange: string;

  constructor(names: JournalTableNames) {
    const messages = `${names.keyspace}.${names.messagesTable}`;
    const metadata = `${names.keyspace}.${names.metadataTable}`;
    const ids = `${names.keyspace}.${names.allPersistenceIdsTable}`;
    this.createMessages =
      `CREATE TABLE IF NOT EXISTS ${messages} (` +
      'persistence_id text, partition_nr bigint, sequence_nr bigint, timestamp bigint, writer_uuid text, ' +
      'ser_id text, ser_manifest text, event_manifest text, event blob, tags frozen<list<text>>, ' +
      'write_from bigint, tag_blocks frozen<map<text, bigint>>, ' +
      'fence text static, high bigint static, sealed boolean static, claim_epoch bigint static, ' +
      'PRIMARY KEY ((persistence_id, partition_nr), sequence_nr)) ' +
      "WITH gc_grace_seconds = 864000 AND compaction = {'class': 'SizeTieredCompactionStrategy'}";
    this.createMetadata = `CREATE TABLE IF NOT EXISTS ${metadata} (persistence_id text PRIMARY KEY, deleted_to bigint)`;
    this.createAllPersistenceIds = `CREATE TABLE IF NOT EXISTS ${ids} (persistence_id text PRIMARY KEY)`;
    this.insertEvent =
      `INSERT INTO ${messages} (persistence_id, partition_nr, sequence_nr, timestamp, writer_uuid, ser_id, ser_manifest, event_manifest, event, tags, write_from, tag_blocks) ` +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    this.insertEventIfNotExists = `${this.insertEvent} IF NOT EXISTS`;
    // Lightweight transactions (Paxos) on the partition's static columns; see internal/fenced-writer.ts.
    // An unset (undefined) `fence` parameter leaves the column as it is.
    this.writeHigh = `UPDATE ${messages} SET high = ?, fence = ?, claim_epoch = ? WHERE persistence_id = ? AND partition_nr = ? IF high = ? AND sealed = null AND fence = ?`;
    // `high` is set only when sealing a partition written before fencing (unset otherwise).
    // A one-event write in one conditional statement (no batch): measured ~10% faster.
    this.writeEventAndHigh =
      `UPDATE ${messages} SET high = ?, fence = ?, claim_epoch = ?, timestamp = ?, writer_uuid = ?, ser_id = ?, ser_manifest = ?, event_manifest = ?, event = ?, tags = ?, write_from = ?, tag_blocks = ? ` +
      'WHERE persistence_id = ? AND partition_nr = ? AND sequence_nr = ? IF high = ? AND sealed = null AND fence = ?';
    this.seal = `UPDATE ${messages} SET sealed = true, high = ? WHERE persistence_id = ? AND partition_nr = ? IF high = ? AND sealed = null AND fence = ? AND claim_epoch = ?`;
    // Claims are ordered by `claim_epoch`, compare-and-set: see internal/fenced-writer.ts.
    this.claim = `UPDATE ${messages} SET fence = ?, claim_epoch = ? WHERE persistence_id = ? AND partition_nr = ? IF claim_epoch = ?`;
    this.selectWriteEnd = `SELECT write_from, tag_blocks, ${EVENT_COLUMNS} FROM ${messages} WHERE persistence_id = ? AND partition_nr = ? AND sequence_nr = ?`;
    this.tagLog = new OrderedLogStatements(names.keyspace, names.tagLogTable);
    this.persistenceIdLog = new OrderedLogStatements(names.keyspace, names.persistenceIdLogTable);
    this.selectEvents = `SELECT ${EVENT_COLUMNS} FROM ${messages} WHERE persistence_id = ? AND partition_nr = ? AND sequence_nr >= ? AND sequence_nr <= ? LIMIT ?`;
    this.selectFence = `SELECT fence, claim_epoch FROM ${messages} WHERE persistence_id = ? AND partition_nr = ? LIMIT 1`;
    this.selectHighest = `SELECT sequence_nr FROM ${messages} WHERE persistence_id = ? AND partition_nr = ? ORDER BY sequence_nr DESC LIMIT 1`;
    this.selectDeletedTo = `SELECT deleted_to FROM ${metadata} WHERE persistence_id = ?`;
    this.updateDeletedTo = `UPDATE ${metadata} SET deleted_to = ? WHERE persistence_id = ?`;
    this.deleteEventsTo = `DELETE FROM ${messages} WHERE persistence_id = ? AND partition_nr = ? AND sequence_nr <= ?`;
    this.insertPersistenceId = `INSERT INTO ${ids} (persistence_id) VALUES (?)`;
    this.selectPersistenceIds = `SELECT persistence_id FROM ${ids}`;
    this.scanTokenRange = `SELECT persistence_id, partition_nr, ${EVENT_COLUMNS} FROM ${messages} ` + 'WHERE token(persistence_id, partition_nr) > ? AND token(persistence_id, partition_nr) <= ?';
  }

  /** `ALTER TABLE … ADD` of one static column of the messages table. */
  addStaticColumn(keyspace: string, messagesTable: string, column: { readonly name: string; readonly type: string }): string {
    return `ALTER TABLE ${keyspace}.${messagesTable} ADD ${column.name} ${column.type} static`;
  }

  /** `ALTER TABLE … ADD` of one regular column of the messages table. */
  addColumn(keyspace: string, messagesTable: string, column: { readonly name: string; readonly type: string }): string {
    return `ALTER TABLE ${keyspace}.${messagesTable} ADD ${column.name} ${column.type}`;
  }

  /** The schema statements, in the order they must run (keyspace first). */
  schema(keyspace: string, replication: Replication): readonly string[] {
    return [createKeyspaceCql(keyspace, replication), this.createMessages, this.createMetadata, this.createAllPersistenceIds, this.tagLog.create, this.persistenceIdLog.create];
  }
}
