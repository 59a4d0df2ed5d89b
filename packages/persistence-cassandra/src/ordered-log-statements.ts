/**
 * The CQL of one ordered log table (`tag_log`, `persistence_id_log`): the journal appends
 * entries to it after their events are stored, and the queries read it in offset order.
 *
 * Partition key `(tag, block)`, clustering `(position, persistence_id)`:
 * - an entry row (`position` ≥ 1) holds one event (or, in `persistence_id_log`, one id's
 *   first event without its payload) at that position of the block;
 * - a progress row (`position` = 0) per persistence id holds in `sequence_nr` the last
 *   sequence number of the newest write of that id appended to this block: the repair at
 *   recovery reads it to learn whether a write's entries made it into the log;
 * - static `high`: the last position taken in the block (null while empty); static
 *   `sealed`: true once the block takes no more entries (full, or closed by a repair).
 *
 * Appends are conditional batches (`IF high = ? AND sealed = null`), so positions are taken
 * one after the other without gaps, and a block is closed for good by one `sealed` write.
 */
export class OrderedLogStatements {
  readonly create: string;
  readonly takePositions: string;
  readonly insertEntry: string;
  readonly setProgress: string;
  readonly seal: string;
  readonly selectState: string;
  readonly selectProgress: string;
  readonly selectEntries: string;

  constructor(
    readonly keyspace: string,
    readonly table: string,
  ) {
    const t = `${keyspace}.${table}`;
    this.create =
      `CREATE TABLE IF NOT EXISTS ${t} (` +
      'tag text, block bigint, position bigint, persistence_id text, sequence_nr bigint, timestamp bigint, writer_uuid text, ' +
      'ser_id text, ser_manifest text, event_manifest text, event blob, tags frozen<list<text>>, ' +
      'high bigint static, sealed boolean static, ' +
      'PRIMARY KEY ((tag, block), position, persistence_id)) ' +
      "WITH gc_grace_seconds = 864000 AND compaction = {'class': 'SizeTieredCompactionStrategy'}";
    this.takePositions = `UPDATE ${t} SET high = ? WHERE tag = ? AND block = ? IF high = ? AND sealed = null`;
    this.insertEntry =
      `INSERT INTO ${t} (tag, block, position, persistence_id, sequence_nr, timestamp, writer_uuid, ser_id, ser_manifest, event_manifest, event, tags) ` +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    this.setProgress = `UPDATE ${t} SET sequence_nr = ? WHERE tag = ? AND block = ? AND position = 0 AND persistence_id = ?`;
    this.seal = `UPDATE ${t} SET sealed = true WHERE tag = ? AND block = ? IF sealed = null`;
    this.selectState = `SELECT high, sealed FROM ${t} WHERE tag = ? AND block = ? LIMIT 1`;
    this.selectProgress = `SELECT sequence_nr FROM ${t} WHERE tag = ? AND block = ? AND position = 0 AND persistence_id = ?`;
    this.selectEntries =
      'SELECT position, persistence_id, sequence_nr, timestamp, writer_uuid, ser_id, ser_manifest, event_manifest, event, tags ' + `FROM ${t} WHERE tag = ? AND block = ? AND position > ? LIMIT ?`;
  }
}
