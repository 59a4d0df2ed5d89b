/**
 * Cluster sharding on the real Kafka: 3 node processes host persistent sharded counters
 * whose journal is Kafka; the node hosting about a third of them is SIGKILLed while writes
 * are in flight, and every counter answers again from a survivor with every acknowledged
 * event, numbered 1..n without a gap or a repeat, in the journal as in the entity.
 */
import type { PersistentRepr } from '@troupe/persistence';
import { EmptyEventTopicMapper, KafkaJournal } from '@troupe/persistence-kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';
import { type StoredEvent, shardingFailover } from '../sharding/sharding-failover.js';
import { deleteTopicsStartingWith, runPrefix } from './kafka-fixtures.js';

const prefix = runPrefix('shardfail');

describe.skipIf(!kafkaAvailable())('ClusterSharding failover on KafkaJournal (3 processes, real broker)', () => {
  const brokers = kafkaBrokers();
  const topicPrefix = `${prefix}j-`;
  let reader: KafkaJournal;
  beforeAll(async () => {
    reader = await KafkaJournal.connect({ brokers, journalTopicPrefix: topicPrefix, eventTopicMapper: EmptyEventTopicMapper });
  });
  afterAll(async () => {
    await reader?.close();
    await deleteTopicsStartingWith(brokers, prefix);
  });

  it('after SIGKILL of a node hosting a third of the entities, each answers again from a survivor with every acknowledged event, contiguous and unrepeated', async () => {
    const history = async (persistenceId: string): Promise<StoredEvent[]> => {
      const events: PersistentRepr[] = [];
      for await (const page of reader.replayMessages(persistenceId, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) events.push(...page);
      return events.map((e) => ({ seq: e.sequenceNr, w: (JSON.parse(Buffer.from(e.payload).toString('utf8')) as { w: string }).w }));
    };
    const figures = await shardingFailover('Kafka', { kind: 'kafka', brokers, topicPrefix }, `counter-${prefix.slice(0, -1)}`, history);
    expect(figures.onVictim).toBeGreaterThan(0);
  }, 240_000);
});
