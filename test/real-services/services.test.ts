import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { CASSANDRA_LOCAL_DATA_CENTER, cassandraAvailable, cassandraContactPoints, kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';

// Names unique per run: the servers may be reused across runs (TROUPE_KEEP_SERVICES=1).
const runId = randomUUID().replaceAll('-', '').slice(0, 12);

describe.skipIf(!kafkaAvailable())('Kafka test server', () => {
  it('exposes its brokers through the environment too', () => {
    expect(process.env.TROUPE_KAFKA_BROKERS?.split(',')).toEqual(kafkaBrokers());
  });

  it('creates a topic, then gives back the one record produced to it', async () => {
    const kafka = new Kafka({
      clientId: 'troupe-services-test',
      brokers: kafkaBrokers(),
      // kafkajs logs the broker's transient answers (e.g. "group coordinator not
      // available" while __consumer_offsets is created) as errors before it retries.
      logLevel: logLevel.NOTHING,
    });
    const topic = `troupe-it-${runId}`;
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `troupe-it-${runId}` });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      expect(await admin.listTopics()).toContain(topic);

      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k1', value: 'hello troupe' }] });

      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const received = new Promise<{ key: string; value: string; offset: string }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            resolve({
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              offset: message.offset,
            });
          },
        });
      });
      expect(await received).toEqual({ key: 'k1', value: 'hello troupe', offset: '0' });

      // The consumer leaves first: fetching from a topic being deleted is an error.
      await consumer.disconnect();
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});

describe.skipIf(!cassandraAvailable())('Cassandra test server', () => {
  it('exposes its contact points through the environment too', () => {
    expect(process.env.TROUPE_CASSANDRA_CONTACT_POINTS?.split(',')).toEqual(cassandraContactPoints());
  });

  it('creates a keyspace and a table, then reads back the row written to it', async () => {
    const client = new cassandra.Client({
      contactPoints: cassandraContactPoints(),
      localDataCenter: CASSANDRA_LOCAL_DATA_CENTER,
    });
    const keyspace = `troupe_it_${runId}`;
    try {
      await client.connect();
      const version = await client.execute('SELECT release_version FROM system.local');
      expect(version.first().get('release_version')).toMatch(/^5\.0\./);

      await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
      await client.execute(`CREATE TABLE ${keyspace}.events (pid text, seq bigint, payload blob, PRIMARY KEY (pid, seq))`);
      await client.execute(`INSERT INTO ${keyspace}.events (pid, seq, payload) VALUES (?, ?, ?)`, ['actor-1', cassandra.types.Long.fromNumber(1), Buffer.from('hello troupe')], { prepare: true });
      const rows = await client.execute(`SELECT seq, payload FROM ${keyspace}.events WHERE pid = ?`, ['actor-1'], { prepare: true });
      expect(rows.rows.map((row) => [row.get('seq').toString(), row.get('payload').toString()])).toEqual([['1', 'hello troupe']]);

      await client.execute(`DROP KEYSPACE ${keyspace}`);
    } finally {
      await client.shutdown();
    }
  });
});
