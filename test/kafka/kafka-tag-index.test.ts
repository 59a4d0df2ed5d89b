/**
 * The Kafka journal's query index (tag topics, persistence-ids topic) when several
 * indexers race for one write: a write stored by a writer that died before indexing it,
 * recovered by several processes at once. Exactly one index transaction may commit.
 */
import { Producer } from '@platformatic/kafka';
import type { PersistentRepr } from '@troupe/persistence';
import { EmptyEventTopicMapper, KafkaJournal, encodeEnvelope } from '@troupe/persistence-kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';
import { deleteTopicsStartingWith, runPrefix } from './kafka-fixtures.js';

const prefix = runPrefix('tagindex');

describe.skipIf(!kafkaAvailable())('KafkaJournal query index with racing indexers', () => {
  const brokers = kafkaBrokers();
  const open = () => KafkaJournal.connect({ brokers, journalTopicPrefix: `${prefix}j-`, tagTopicPrefix: `${prefix}t-`, persistenceIdsTopic: `${prefix}ids`, eventTopicMapper: EmptyEventTopicMapper });

  afterAll(async () => {
    await deleteTopicsStartingWith(brokers, prefix);
  });

  it('indexes a write left unindexed once, however many recoveries race to index it', async () => {
    const tag = `race-${Date.now().toString(36)}`;
    const journals = await Promise.all([open(), open(), open(), open(), open()]);
    const producer = new Producer({ clientId: 'tag-index-test', bootstrapBrokers: brokers, idempotent: true, acks: -1 });
    try {
      for (let round = 0; round < 5; round++) {
        const pid = `${prefix}pid-${round}`;
        // A writer claims and stores events 1 and 2 in one batch, then dies before indexing them:
        // the same records the journal writes, produced without the index step.
        await journals[0]!.claimWriter(pid, 'writer-1');
        const events: PersistentRepr[] = [1, 2].map((sequenceNr) => ({
          persistenceId: pid,
          sequenceNr,
          payload: new TextEncoder().encode(`"${pid}:${sequenceNr}"`),
          serializerId: 'json',
          manifest: '',
          eventManifest: '',
          tags: [tag],
          timestamp: Date.now(),
          writerUuid: 'writer-1',
        }));
        await producer.send({
          messages: events
            .map(encodeEnvelope)
            .map((e) => ({ topic: journals[0]!.topicOf(pid), partition: 0, key: e.key, value: e.value, headers: new Map(e.headers.map(([n, v]) => [Buffer.from(n), v])) })),
        });
        expect(
          (await journals[0]!.currentEventsByTag(tag, 0, 100)).filter((e) => e.repr.persistenceId === pid),
          'not indexed yet',
        ).toEqual([]);
        // Five processes recover the id at once; each finds the last write unindexed.
        const highest = await Promise.all(journals.map((j) => j.readHighestSequenceNr(pid, 1)));
        expect(highest).toEqual([2, 2, 2, 2, 2]);
      }
      const view = await journals[1]!.currentEventsByTag(tag, 0, 1000);
      expect(view.map((e) => `${e.repr.persistenceId.slice(prefix.length)}:${e.repr.sequenceNr}`)).toEqual([0, 1, 2, 3, 4].flatMap((round) => [`pid-${round}:1`, `pid-${round}:2`]));
      const ids = (await journals[2]!.currentPersistenceIds(0, 1000)).map((e) => e.persistenceId.slice(prefix.length));
      expect(ids, 'each id registered once, by its first write').toEqual([0, 1, 2, 3, 4].map((round) => `pid-${round}`));
    } finally {
      await producer.close();
      await Promise.all(journals.map((j) => j.close()));
    }
  });
});
