/**
 * Cluster sharding on the real Cassandra: 3 node processes host persistent sharded counters
 * whose journal is Cassandra; the node hosting about a third of them is SIGKILLed while writes
 * are in flight, and every counter answers again from a survivor with every acknowledged
 * event, numbered 1..n without a gap or a repeat, in the journal as in the entity.
 */
import type { PersistentRepr } from '@troupe/persistence';
import { CassandraJournal } from '@troupe/persistence-cassandra';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASSANDRA_LOCAL_DATA_CENTER, cassandraAvailable, cassandraContactPoints } from '../setup/services-env.js';
import { type StoredEvent, shardingFailover } from '../sharding/sharding-failover.js';
import { dropKeyspaces, testClient, uniqueKeyspace } from './cassandra-fixtures.js';
import { holdCassandraShared } from './cassandra-lock.js';

const keyspace = uniqueKeyspace('sharding_failover');

describe.skipIf(!cassandraAvailable())('ClusterSharding failover on CassandraJournal (3 processes, real server)', () => {
  const contactPoints = cassandraContactPoints();
  let release: (() => void) | undefined;
  let client: cassandra.Client;
  let reader: CassandraJournal;
  beforeAll(async () => {
    release = await holdCassandraShared('sharding-failover');
    client = testClient();
    await client.connect();
    // Creates the keyspace and tables once, before the nodes connect without creating them.
    reader = await CassandraJournal.connect({ contactPoints, localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, keyspace });
  }, 120_000);
  afterAll(async () => {
    try {
      await reader?.close();
      await dropKeyspaces(client, keyspace);
    } finally {
      release?.();
    }
  }, 120_000);

  it('after SIGKILL of a node hosting a third of the entities, each answers again from a survivor with every acknowledged event, contiguous and unrepeated', async () => {
    const history = async (persistenceId: string): Promise<StoredEvent[]> => {
      const events: PersistentRepr[] = [];
      for await (const page of reader.replayMessages(persistenceId, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) events.push(...page);
      return events.map((e) => ({ seq: e.sequenceNr, w: (JSON.parse(Buffer.from(e.payload).toString('utf8')) as { w: string }).w }));
    };
    const figures = await shardingFailover('Cassandra', { kind: 'cassandra', contactPoints, keyspace }, `counter-${keyspace.replaceAll('_', '-')}`, history);
    expect(figures.onVictim).toBeGreaterThan(0);
  }, 240_000);
});
