import { describe, expect, it } from 'vitest';
import { JournalStatements, createKeyspaceCql } from '../src/journal-statements.js';
import { SnapshotStatements } from '../src/snapshot-statements.js';

const names = {
  keyspace: 'ks',
  messagesTable: 'messages',
  metadataTable: 'metadata',
  allPersistenceIdsTable: 'all_persistence_ids',
  tagLogTable: 'tag_log',
  persistenceIdLogTable: 'persistence_id_log',
};

describe('JournalStatements', () => {
  it('partitions messages by (persistence_id, partition_nr) and clusters by sequence_nr', () => {
    const cql = new JournalStatements(names).createMessages;
    expect(cql).toContain('CREATE TABLE IF NOT EXISTS ks.messages (');
    expect(cql).toContain('PRIMARY KEY ((persistence_id, partition_nr), sequence_nr)');
    expect(cql).toContain('tags frozen<list<text>>');
  });
  it('keeps the single-writer state in static columns, written only by conditional statements', () => {
    const statements = new JournalStatements(names);
    expect(statements.createMessages).toContain('fence text static, high bigint static, sealed boolean static, claim_epoch bigint static');
    expect(statements.writeHigh).toMatch(/^UPDATE ks\.messages SET high = \?, fence = \?, claim_epoch = \? WHERE .* IF high = \? AND sealed = null AND fence = \?$/);
    expect(statements.writeEventAndHigh).toMatch(
      /^UPDATE ks\.messages SET high = \?, fence = \?, claim_epoch = \?, timestamp = \?, .* WHERE persistence_id = \? AND partition_nr = \? AND sequence_nr = \? IF high = \? AND sealed = null AND fence = \?$/,
    );
    expect(statements.seal).toMatch(/IF high = \? AND sealed = null AND fence = \? AND claim_epoch = \?$/);
    expect(statements.claim).toMatch(/SET fence = \?, claim_epoch = \? WHERE .* IF claim_epoch = \?$/);
    expect(statements.insertEventIfNotExists).toBe(`${statements.insertEvent} IF NOT EXISTS`);
    expect(statements.staticColumns.map((c) => statements.addStaticColumn('ks', 'messages', c))).toEqual([
      'ALTER TABLE ks.messages ADD fence text static',
      'ALTER TABLE ks.messages ADD high bigint static',
      'ALTER TABLE ks.messages ADD sealed boolean static',
      'ALTER TABLE ks.messages ADD claim_epoch bigint static',
    ]);
  });
  it('reads one partition at a time in a sequence-number range with a limit', () => {
    expect(new JournalStatements(names).selectEvents).toMatch(/FROM ks\.messages WHERE persistence_id = \? AND partition_nr = \? AND sequence_nr >= \? AND sequence_nr <= \? LIMIT \?$/);
  });
  it('finds the highest number of a partition without reading it all', () => {
    expect(new JournalStatements(names).selectHighest).toBe('SELECT sequence_nr FROM ks.messages WHERE persistence_id = ? AND partition_nr = ? ORDER BY sequence_nr DESC LIMIT 1');
  });
  it('scans by token of the partition key', () => {
    expect(new JournalStatements(names).scanTokenRange).toMatch(/WHERE token\(persistence_id, partition_nr\) > \? AND token\(persistence_id, partition_nr\) <= \?$/);
  });
  it('creates the keyspace first, then the five tables', () => {
    const schema = new JournalStatements(names).schema('ks', { strategy: 'SimpleStrategy', replicationFactor: 3 });
    expect(schema[0]).toBe("CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}");
    expect(schema.slice(1).map((s) => s.split(' (')[0])).toEqual([
      'CREATE TABLE IF NOT EXISTS ks.messages',
      'CREATE TABLE IF NOT EXISTS ks.metadata',
      'CREATE TABLE IF NOT EXISTS ks.all_persistence_ids',
      'CREATE TABLE IF NOT EXISTS ks.tag_log',
      'CREATE TABLE IF NOT EXISTS ks.persistence_id_log',
    ]);
  });
  it('adds the ordered-log columns to a messages table created before them', () => {
    const statements = new JournalStatements(names);
    expect(statements.createMessages).toContain('write_from bigint, tag_blocks frozen<map<text, bigint>>');
    expect(statements.logColumns.map((c) => statements.addColumn('ks', 'messages', c))).toEqual([
      'ALTER TABLE ks.messages ADD write_from bigint',
      'ALTER TABLE ks.messages ADD tag_blocks frozen<map<text, bigint>>',
    ]);
    expect(statements.insertEvent).toContain('tags, write_from, tag_blocks)');
    expect(statements.writeEventAndHigh).toContain('tags = ?, write_from = ?, tag_blocks = ?');
  });
});

describe('OrderedLogStatements', () => {
  const log = new JournalStatements(names).tagLog;
  it('partitions a log by (tag, block) and clusters entries by position', () => {
    expect(log.create).toContain('CREATE TABLE IF NOT EXISTS ks.tag_log (');
    expect(log.create).toContain('PRIMARY KEY ((tag, block), position, persistence_id)');
    expect(log.create).toContain('high bigint static, sealed boolean static');
  });
  it('takes positions and closes blocks only with conditional statements', () => {
    expect(log.takePositions).toBe('UPDATE ks.tag_log SET high = ? WHERE tag = ? AND block = ? IF high = ? AND sealed = null');
    expect(log.seal).toBe('UPDATE ks.tag_log SET sealed = true WHERE tag = ? AND block = ? IF sealed = null');
  });
  it('reads entries after a position, never the progress rows at position 0', () => {
    expect(log.selectEntries).toMatch(/FROM ks\.tag_log WHERE tag = \? AND block = \? AND position > \? LIMIT \?$/);
    expect(log.selectProgress).toMatch(/AND position = 0 AND persistence_id = \?$/);
  });
});

describe('createKeyspaceCql', () => {
  it('writes a NetworkTopologyStrategy replication per data centre', () => {
    expect(createKeyspaceCql('ks', { strategy: 'NetworkTopologyStrategy', dataCenters: { dc1: 3, dc2: 2 } })).toBe(
      "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}",
    );
  });
});

describe('SnapshotStatements', () => {
  it('clusters snapshots newest first', () => {
    expect(new SnapshotStatements('snap', 'snapshots').createSnapshots).toContain('PRIMARY KEY (persistence_id, sequence_nr)) WITH CLUSTERING ORDER BY (sequence_nr DESC)');
  });
});
