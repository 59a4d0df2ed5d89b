import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import type { AtomicWrite, PersistentRepr } from '@troupe/persistence';
import { KafkaJournal, eventTopicMapperTo } from '@troupe/persistence-kafka';
import { InMemoryOffsetStore, Projection } from '@troupe/projection';
import { awaitCondition } from '@troupe/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaEventTopicSource } from '../src/index.js';

// The repository's globalSetup sets these when the services answer; without Java, outside CI, it
// prints a notice and the suites skip. Under CI=true it fails instead, so they never skip there.
const unavailable = process.env.TROUPE_KAFKA_BROKERS === undefined;
const brokers = (process.env.TROUPE_KAFKA_BROKERS ?? '').split(',').filter((b) => b !== '');
const prefix = `projsrc-${randomUUID().slice(0, 8)}-`;

function write(persistenceId: string, from: number, count: number): AtomicWrite {
  const events: PersistentRepr[] = Array.from({ length: count }, (_, i) => ({
    persistenceId,
    sequenceNr: from + i,
    payload: Buffer.from(JSON.stringify({ n: from + i })),
    serializerId: 'json',
    manifest: '',
    eventManifest: '',
    tags: ['t'],
    timestamp: 1_700_000_000_000 + from + i,
    writerUuid: 'w-1',
  }));
  return { persistenceId, events };
}

afterAll(async () => {
  if (unavailable) return;
  const admin = new Admin({ bootstrapBrokers: brokers, clientId: 'projection-kafka-cleanup' });
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
});

describe.skipIf(unavailable)('KafkaEventTopicSource', () => {
  it('gives every event of a partition with offset = Kafka offset + 1, and a new projection resumes from the stored offset without a consumer group', async () => {
    const topic = `${prefix}events-a`;
    const journal = await KafkaJournal.connect({ brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: eventTopicMapperTo(topic) });
    const store = new InMemoryOffsetStore();
    const source = KafkaEventTopicSource.create<{ n: number }>({ brokers, topic, maxWaitMs: 100 });
    expect(source.key).toBe(`kafka:${topic}/0`);
    const seen: { offset: number; id: string; seq: number; n: number; tags: readonly string[] }[] = [];
    const run = () =>
      Projection.grouped<{ n: number }>({
        name: 'kafka-source-test',
        source,
        offsetStore: store,
        groupAfterEnvelopes: 7,
        groupAfterMs: 20,
        handler: (batch) => void seen.push(...batch.map((e) => ({ offset: e.offset, id: e.persistenceId, seq: e.sequenceNr, n: e.event.n, tags: e.tags }))),
      }).start();
    try {
      expect(await journal.writeMessages([write('a', 1, 10), write('b', 1, 10)])).toEqual([undefined, undefined]);
      expect(await journal.writeMessages([write('c', 1, 10)])).toEqual([undefined]);
      expect(await source.endOffset()).toBe(30);
      const first = run();
      await awaitCondition(() => first.status().storedOffset === 30, { timeoutMs: 30_000, message: 'the first projection stored offset 30' });
      await first.stop();
      expect(seen.map((s) => s.offset)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      for (const id of ['a', 'b', 'c']) expect(seen.filter((s) => s.id === id).map((s) => [s.seq, s.n])).toEqual(Array.from({ length: 10 }, (_, i) => [i + 1, i + 1]));
      expect(seen[0]?.tags).toEqual(['t']);

      // Written while no projection runs; the next one reads only these.
      expect(await journal.writeMessages([write('a', 11, 5)])).toEqual([undefined]);
      seen.length = 0;
      const second = run();
      await awaitCondition(() => second.status().storedOffset === 35, { timeoutMs: 30_000, message: 'the second projection stored offset 35' });
      // Live: an event written now arrives without a restart.
      expect(await journal.writeMessages([write('b', 11, 1)])).toEqual([undefined]);
      await awaitCondition(() => second.status().storedOffset === 36, { timeoutMs: 30_000, message: 'the live event was handled' });
      await second.stop();
      expect(seen.map((s) => [s.offset, s.id, s.seq])).toEqual([...Array.from({ length: 5 }, (_, i) => [31 + i, 'a', 11 + i]), [36, 'b', 11]]);
      expect(KafkaEventTopicSource.kafkaOffsetOf(36)).toBe(35n);
      // An offset past the end (the topic was recreated, the offset store belongs to another) fails loudly.
      const abort = new AbortController();
      const beyond = source.open(1_000, abort.signal)[Symbol.asyncIterator]();
      await expect(beyond.next()).rejects.toMatchObject({ code: 'ERR_KAFKA_OFFSET_OUT_OF_RANGE', message: `offset 1000 of ${topic}-0 is out of range` });
      abort.abort();
    } finally {
      await journal.close();
    }
  });

  it('waits for a topic that does not exist yet, then reads it from the start', async () => {
    const topic = `${prefix}events-late`;
    const store = new InMemoryOffsetStore();
    const seen: number[] = [];
    expect(await KafkaEventTopicSource.create({ brokers, topic }).endOffset()).toBe(0);
    const projection = Projection.atLeastOnce<{ n: number }>({
      name: 'late',
      source: KafkaEventTopicSource.create({ brokers, topic, maxWaitMs: 100, missingTopicRetryMs: 50 }),
      offsetStore: store,
      handler: (e) => void seen.push(e.event.n),
    }).start();
    try {
      expect(projection.status().state).toBe('running');
      const journal = await KafkaJournal.connect({ brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: eventTopicMapperTo(topic) });
      try {
        expect(await journal.writeMessages([write('late', 1, 3)])).toEqual([undefined]);
      } finally {
        await journal.close();
      }
      await awaitCondition(() => seen.length === 3, { timeoutMs: 30_000, message: 'the events of the late topic arrived' });
      expect(seen).toEqual([1, 2, 3]);
      expect(projection.status().restarts).toBe(0);
    } finally {
      await projection.stop();
    }
  });

  it('gives one source per partition, and refuses bad options naming the field', () => {
    const sources = KafkaEventTopicSource.forPartitions({ brokers: ['127.0.0.1:9092'], topic: 'orders' }, 3);
    expect(sources.map((s) => s.key)).toEqual(['kafka:orders/0', 'kafka:orders/1', 'kafka:orders/2']);
    expect(() => KafkaEventTopicSource.create({ brokers: [], topic: 'x' })).toThrow(new TypeError('KafkaEventTopicSource: brokers must be a non-empty array of host:port, got []'));
    expect(() => KafkaEventTopicSource.create({ brokers: ['h:1'], topic: 'a b' })).toThrow(/topic must be a Kafka topic name, got "a b"/);
    expect(() => KafkaEventTopicSource.create({ brokers: ['h:1'], topic: 'x', partition: -1 })).toThrow(new RangeError('KafkaEventTopicSource: partition must be an integer >= 0, got -1'));
    expect(() => KafkaEventTopicSource.create({ brokers: ['h:1'], topic: 'x', onInvalidRecord: 'drop' as never })).toThrow(/onInvalidRecord must be 'fail' or 'skip'/);
    expect(() => KafkaEventTopicSource.forPartitions({ brokers: ['h:1'], topic: 'x' }, 0)).toThrow(RangeError);
  });
});
