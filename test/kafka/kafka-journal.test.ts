/** KafkaJournal behaviour beyond the TCK, on the real broker. */
import { Admin, Producer } from '@platformatic/kafka';
import { type AtomicWrite, type PersistentRepr, SequenceNumberTakenError } from '@troupe/persistence';
import { EmptyEventTopicMapper, KafkaJournal, KafkaSnapshotStore, encodeEnvelope } from '@troupe/persistence-kafka';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';
import { deleteTopicsStartingWith, runPrefix } from './kafka-fixtures.js';

const prefix = runPrefix('jrn');

function write(persistenceId: string, from: number, to = from): AtomicWrite {
  const events: PersistentRepr[] = [];
  for (let seq = from; seq <= to; seq++) {
    events.push({ persistenceId, sequenceNr: seq, payload: Buffer.from(`e${seq}`), serializerId: 'json', manifest: '', eventManifest: '', tags: [], timestamp: 1_700_000_000_000, writerUuid: 'w' });
  }
  return { persistenceId, events };
}

async function replayed(journal: KafkaJournal, persistenceId: string): Promise<number[]> {
  const seqs: number[] = [];
  for await (const page of journal.replayMessages(persistenceId, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) seqs.push(...page.map((e) => e.sequenceNr));
  return seqs;
}

describe.skipIf(!kafkaAvailable())('KafkaJournal', () => {
  const brokers = kafkaBrokers();
  let journal: KafkaJournal;
  beforeEach(async () => {
    journal = await KafkaJournal.connect({ brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: EmptyEventTopicMapper });
  });
  afterEach(() => journal.close());
  afterAll(() => deleteTopicsStartingWith(brokers, prefix));

  it('keeps each persistence id in its own one-partition topic named after the sanitised id', async () => {
    expect(await journal.writeMessages([write('order-7', 1), write('shard/7:x', 1)])).toEqual([undefined, undefined]);
    expect(journal.topicOf('order-7')).toBe(`${prefix}j-order-7`);
    expect(journal.topicOf('shard/7:x')).toMatch(new RegExp(`^${prefix}j-shard_7_x-[0-9a-f]{8}$`));
    const admin = new Admin({ clientId: 'test', bootstrapBrokers: brokers });
    try {
      const metadata = await admin.metadata({ topics: [journal.topicOf('order-7'), journal.topicOf('shard/7:x')] });
      for (const topic of metadata.topics.values()) expect(topic.partitionsCount).toBe(1);
      const [config] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: journal.topicOf('order-7'), configurationKeys: ['cleanup.policy', 'retention.ms'] }] });
      expect(Object.fromEntries(config!.configs.map((c) => [c.name, c.value]))).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '-1' });
    } finally {
      await admin.close();
    }
    expect(await replayed(journal, 'shard/7:x')).toEqual([1]);
  });

  it('keeps snapshots in a compacted snapshot topic per persistence id, keyed by sequence number', async () => {
    const store = await KafkaSnapshotStore.connect({ brokers, snapshotTopicPrefix: `${prefix}s-` });
    try {
      await store.saveSnapshot({ persistenceId: 'snap-1', sequenceNr: 7, timestamp: 1, payload: Buffer.from('state'), serializerId: 'json', manifest: 'S' });
      expect(store.topicOf('snap-1')).toBe(`${prefix}s-snap-1`);
    } finally {
      await store.close();
    }
    const admin = new Admin({ clientId: 'test', bootstrapBrokers: brokers });
    try {
      const [config] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: `${prefix}s-snap-1`, configurationKeys: ['cleanup.policy'] }] });
      expect(config!.configs.map((c) => [c.name, c.value])).toEqual([['cleanup.policy', 'compact']]);
    } finally {
      await admin.close();
    }
  });

  it('rejects a write reusing a stored sequence number with SequenceNumberTakenError and stores nothing', async () => {
    await journal.writeMessages([write('twice', 1, 3)]);
    const [result] = await journal.writeMessages([write('twice', 3, 4)]);
    expect(result).toBeInstanceOf(SequenceNumberTakenError);
    expect((result as SequenceNumberTakenError).code).toBe('ERR_SEQUENCE_NUMBER_TAKEN');
    expect(await replayed(journal, 'twice')).toEqual([1, 2, 3]);
    expect(await journal.readHighestSequenceNr('twice', 1)).toBe(3);
  });

  it("reads and writes past records that are not events of the id (an intruder, another id's envelope)", async () => {
    await journal.writeMessages([write('foreign', 1)]);
    // Someone else appends to the journal topic: a record that is no envelope, and an
    // envelope of another persistence id. Before fences these made the topic unreadable.
    const producer = new Producer({ clientId: 'intruder', bootstrapBrokers: brokers, autocreateTopics: false });
    try {
      const stray = encodeEnvelope(write('someone-else', 2).events[0]!);
      await producer.send({
        messages: [
          { topic: journal.topicOf('foreign'), partition: 0, key: Buffer.from('x'), value: Buffer.from('not an event') },
          { topic: journal.topicOf('foreign'), partition: 0, key: stray.key, value: stray.value, headers: new Map(stray.headers.map(([n, v]) => [Buffer.from(n), v])) },
        ],
      });
    } finally {
      await producer.close();
    }
    const other = await KafkaJournal.connect({ brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: EmptyEventTopicMapper });
    try {
      expect(await other.readHighestSequenceNr('foreign', 1)).toBe(1);
      expect(await other.writeMessages([write('foreign', 2)])).toEqual([undefined]);
      expect(await replayed(other, 'foreign')).toEqual([1, 2]);
      expect(await replayed(journal, 'foreign')).toEqual([1, 2]);
    } finally {
      await other.close();
    }
  });

  it('replays a long journal from any sequence number up to a bound', async () => {
    for (let from = 1; from <= 3000; from += 500) expect(await journal.writeMessages([write('long', from, from + 499)])).toEqual([undefined]);
    expect(await journal.readHighestSequenceNr('long', 1)).toBe(3000);
    const pages: number[] = [];
    let last = 0;
    for await (const page of journal.replayMessages('long', { fromSequenceNr: 1234, toSequenceNr: 2999, max: Infinity })) {
      pages.push(page.length);
      for (const e of page) {
        expect(e.sequenceNr).toBe(last === 0 ? 1234 : last + 1);
        last = e.sequenceNr;
      }
    }
    expect(last).toBe(2999);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(2999 - 1234 + 1);
  });
});
