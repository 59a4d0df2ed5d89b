import type { Replication } from './cassandra-options.js';
import { createKeyspaceCql } from './journal-statements.js';

/**
 * Every CQL statement of the snapshot store. Layout as akka-persistence-cassandra's
 * `snapshots`: partition `persistence_id`, clustering `sequence_nr DESC`, so the newest
 * snapshot is the first row read.
 */
export class SnapshotStatements {
  readonly createSnapshots: string;
  readonly insertSnapshot: string;
  readonly selectMetadata: string;
  readonly selectSnapshot: string;
  readonly deleteSnapshot: string;
  readonly deleteRange: string;

  constructor(keyspace: string, table: string) {
    const snapshots = `${keyspace}.${table}`;
    this.createSnapshots =
      `CREATE TABLE IF NOT EXISTS ${snapshots} (` +
      'persistence_id text, sequence_nr bigint, timestamp bigint, ser_id text, ser_manifest text, snapshot_data blob, ' +
      'PRIMARY KEY (persistence_id, sequence_nr)) WITH CLUSTERING ORDER BY (sequence_nr DESC)';
    this.insertSnapshot = `INSERT INTO ${snapshots} (persistence_id, sequence_nr, timestamp, ser_id, ser_manifest, snapshot_data) VALUES (?, ?, ?, ?, ?, ?)`;
    // Metadata first, data only for the one snapshot chosen: candidates may be large.
    this.selectMetadata = `SELECT sequence_nr, timestamp FROM ${snapshots} WHERE persistence_id = ? AND sequence_nr >= ? AND sequence_nr <= ?`;
    this.selectSnapshot = `SELECT sequence_nr, timestamp, ser_id, ser_manifest, snapshot_data FROM ${snapshots} WHERE persistence_id = ? AND sequence_nr = ?`;
    this.deleteSnapshot = `DELETE FROM ${snapshots} WHERE persistence_id = ? AND sequence_nr = ?`;
    this.deleteRange = `DELETE FROM ${snapshots} WHERE persistence_id = ? AND sequence_nr >= ? AND sequence_nr <= ?`;
  }

  /** The schema statements, keyspace first. */
  schema(keyspace: string, replication: Replication): readonly string[] {
    return [createKeyspaceCql(keyspace, replication), this.createSnapshots];
  }
}
