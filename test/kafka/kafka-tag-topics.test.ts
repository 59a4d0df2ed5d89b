/**
 * Tag topic names on the real broker: Kafka refuses to create a topic whose name equals an
 * existing one once `.` is read as `_` (CreateTopics error 17, "collides with existing
 * topic"), so tags differing only there must still get topics of their own; and a tag whose
 * topic cannot be created fails only the writes carrying it, before anything is stored.
 */
import { Admin } from '@platformatic/kafka';
import type { AtomicWrite, PersistentRepr } from '@troupe/persistence';
import { EmptyEventTopicMapper, KafkaJournal } from '@troupe/persistence-kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';
import { deleteTopicsStartingWith, runPrefix } from './kafka-fixtures.js';

const prefix = runPrefix('tagname');

function tagged(persistenceId: string, sequenceNr: number, tags: readonly string[]): AtomicWrite {
  const event: PersistentRepr = {
    persistenceId,
    sequenceNr,
    payload: Buffer.from(JSON.stringify({ n: sequenceNr })),
    serializerId: 'json',
    manifest: 'added',
    eventManifest: '',
    tags,
    timestamp: 1_700_000_000_000 + sequenceNr,
    writerUuid: 'w-1',
  };
  return { persistenceId, events: [event] };
}

describe.skipIf(!kafkaAvailable())('KafkaJournal tag topics', () => {
  const brokers = kafkaBrokers();
  const open = () => KafkaJournal.connect({ brokers, journalTopicPrefix: `${prefix}j-`, tagTopicPrefix: `${prefix}t-`, persistenceIdsTopic: `${prefix}ids`, eventTopicMapper: EmptyEventTopicMapper });

  afterAll(async () => {
    await deleteTopicsStartingWith(brokers, prefix);
  });

  it('keeps tags that differ only in "." and "_" apart, each with its own events', async () => {
    const journal = await open();
    try {
      expect(await journal.writeMessages([tagged('dot-1', 1, ['order.created'])])).toEqual([undefined]);
      // The second tag in a later call (its topic is created then) and in the same call as the first.
      expect(await journal.writeMessages([tagged('under-1', 1, ['order_created'])])).toEqual([undefined]);
      expect(await journal.writeMessages([tagged('dot-2', 1, ['a.b']), tagged('under-2', 1, ['a_b'])])).toEqual([undefined, undefined]);
      expect(journal.tagTopicOf('order.created')).not.toBe(journal.tagTopicOf('order_created'));
      const view = async (tag: string) => (await journal.currentEventsByTag(tag, 0, 100)).map((e) => `${e.repr.persistenceId}:${e.repr.sequenceNr}`);
      expect(await view('order.created')).toEqual(['dot-1:1']);
      expect(await view('order_created')).toEqual(['under-1:1']);
      expect(await view('a.b')).toEqual(['dot-2:1']);
      expect(await view('a_b')).toEqual(['under-2:1']);
    } finally {
      await journal.close();
    }
  });

  it('refuses only the writes whose tag topic cannot be created, naming the tag and the cause, and stores nothing of them', async () => {
    const journal = await open();
    const admin = new Admin({ clientId: 'tag-topics-test', bootstrapBrokers: brokers });
    try {
      // Occupy the name the journal will need for tag `blocked.tag`, in its colliding spelling
      // (every "." and "_" after the prefix swapped), so that creating it fails with error 17.
      const needed = journal.tagTopicOf('blocked.tag');
      const head = `${prefix}t-`;
      const occupied = head + needed.slice(head.length).replace(/[._]/g, (c) => (c === '.' ? '_' : '.'));
      await admin.createTopics({ topics: [occupied], partitions: 1, replicas: 1 });

      const results = await journal.writeMessages([tagged('blocked-1', 1, ['blocked.tag']), tagged('fine-1', 1, ['fine']), tagged('plain-1', 1, [])]);
      expect(results[1], 'a write with another tag in the same group commit').toBeUndefined();
      expect(results[2], 'an untagged write in the same group commit').toBeUndefined();
      const refusal = results[0] as Error & { code?: string };
      expect(refusal).toBeInstanceOf(Error);
      expect(refusal.code).toBe('ERR_KAFKA_TAG_TOPIC');
      expect(refusal.message).toContain('"blocked.tag"');
      expect(refusal.message).toContain(needed);
      expect(refusal.message).toContain('collides');

      const replayed: PersistentRepr[] = [];
      for await (const page of journal.replayMessages('blocked-1', { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) replayed.push(...page);
      expect(replayed, 'nothing of the refused write stored').toEqual([]);
      expect(await journal.readHighestSequenceNr('blocked-1', 1)).toBe(0);
      expect((await journal.currentEventsByTag('fine', 0, 100)).map((e) => e.repr.persistenceId)).toEqual(['fine-1']);
      // The same id then writes with a tag whose topic can be created.
      expect(await journal.writeMessages([tagged('blocked-1', 1, ['fine'])])).toEqual([undefined]);
    } finally {
      await admin.close();
      await journal.close();
    }
  });
});
