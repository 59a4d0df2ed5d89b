/**
 * Event topics (every stored event also published to user topics chosen by a mapper)
 * and `eventStream` (reading them back through a consumer group), on the real broker.
 */
import { EmptyEventTopicMapper, KafkaJournal, type KafkaEventEnvelope, encodeEnvelope, eventStream, eventTopicMapperTo } from '@troupe/persistence-kafka';
import type { AtomicWrite, PersistentRepr } from '@troupe/persistence';
import kafkajs from 'kafkajs';
import { Admin, Producer } from '@platformatic/kafka';
import { awaitCondition } from '@troupe/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';
import { deleteTopicsStartingWith, runPrefix } from './kafka-fixtures.js';

const prefix = runPrefix('evt');

function event(persistenceId: string, sequenceNr: number, extra: Partial<PersistentRepr> = {}): PersistentRepr {
  return {
    persistenceId,
    sequenceNr,
    payload: Buffer.from(JSON.stringify({ n: sequenceNr })),
    serializerId: 'json',
    manifest: 'added',
    eventManifest: '',
    tags: [],
    timestamp: 1_700_000_000_000 + sequenceNr,
    writerUuid: 'w-1',
    ...extra,
  };
}
const one = (persistenceId: string, sequenceNr: number, extra: Partial<PersistentRepr> = {}): AtomicWrite => ({ persistenceId, events: [event(persistenceId, sequenceNr, extra)] });

/** Reads a whole topic with kafkajs (a different client than the plugin's): the format needs none of our code. */
async function readWithKafkajs(brokers: string[], topic: string, count: number): Promise<kafkajs.KafkaMessage[]> {
  const kafka = new kafkajs.Kafka({ clientId: 'foreign-reader', brokers, logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 100 });
  const seen: kafkajs.KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen.length} of ${count} records of ${topic}`)), 30_000);
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          seen.push(message);
          if (seen.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe.skipIf(!kafkaAvailable())('KafkaJournal event topics', () => {
  const brokers = kafkaBrokers();
  afterAll(() => deleteTopicsStartingWith(brokers, prefix));

  it('publishes every stored event to the mapped topic in the documented envelope, keyed by persistence id', async () => {
    const topic = `${prefix}events-a`;
    const journal = await KafkaJournal.connect({ brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: eventTopicMapperTo(topic) });
    try {
      expect(await journal.writeMessages([one('order-1', 1, { tags: ['big'] }), one('order-2', 1)])).toEqual([undefined, undefined]);
      expect(await journal.writeMessages([{ persistenceId: 'order-1', events: [event('order-1', 2), event('order-1', 3)] }])).toEqual([undefined]);
    } finally {
      await journal.close();
    }
    const records = await readWithKafkajs(brokers, topic, 4);
    const decoded = records.map((r) => ({
      key: r.key?.toString(),
      value: r.value?.toString(),
      timestamp: r.timestamp,
      headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, String(v)])),
    }));
    expect(decoded.filter((r) => r.key === 'order-1').map((r) => r.headers['troupe.seq'])).toEqual(['1', '2', '3']);
    expect(decoded.find((r) => r.key === 'order-1')).toEqual({
      key: 'order-1',
      value: '{"n":1}',
      timestamp: String(1_700_000_000_001),
      headers: {
        'troupe.v': '1',
        'troupe.pid': 'order-1',
        'troupe.seq': '1',
        'troupe.ser': 'json',
        'troupe.manifest': 'added',
        'troupe.event-manifest': '',
        'troupe.tags': '["big"]',
        'troupe.ts': '1700000000001',
        'troupe.writer': 'w-1',
      },
    });
    expect(decoded.filter((r) => r.key === 'order-2')).toHaveLength(1);
  });

  it('sends an event to every topic a custom mapper names, and nowhere when it names none', async () => {
    const [t1, t2] = [`${prefix}audit`, `${prefix}orders`];
    const journal = await KafkaJournal.connect({
      brokers,
      journalTopicPrefix: `${prefix}j-`,
      eventTopicMapper: { topicsFor: (e) => (e.persistenceId === 'a' ? [t1, t2] : []) },
    });
    try {
      expect(await journal.writeMessages([one('a', 1), one('b', 1)])).toEqual([undefined, undefined]);
      expect(await journal.writeMessages([one('a', 2), one('b', 2)])).toEqual([undefined, undefined]);
    } finally {
      await journal.close();
    }
    for (const topic of [t1, t2]) {
      const records = await readWithKafkajs(brokers, topic, 2);
      expect(records.map((r) => `${r.key?.toString()}#${String(r.headers?.['troupe.seq'])}`)).toEqual(['a#1', 'a#2']);
    }
    const journal2 = await KafkaJournal.connect({ brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: EmptyEventTopicMapper });
    try {
      // b was stored in its journal topic although no event topic got it.
      expect(await journal2.readHighestSequenceNr('b')).toBe(2);
    } finally {
      await journal2.close();
    }
  });
});

describe.skipIf(!kafkaAvailable())('eventStream', () => {
  const brokers = kafkaBrokers();
  afterAll(() => deleteTopicsStartingWith(brokers, prefix));

  it('yields the events of every id in sequence order per id, and a new stream of the same group resumes after the committed ones', async () => {
    const topic = `${prefix}stream`;
    const ids = ['s-1', 's-2', 's-3'];
    const journal = await KafkaJournal.connect({ brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: eventTopicMapperTo(topic), eventTopicPartitions: 3 });
    try {
      for (let seq = 1; seq <= 10; seq++) expect(await journal.writeMessages(ids.map((id) => one(id, seq)))).toEqual([undefined, undefined, undefined]);
    } finally {
      await journal.close();
    }
    const groupId = `${prefix}projection`;
    const signal = AbortSignal.timeout(45_000);
    const first: KafkaEventEnvelope[] = [];
    for await (const e of eventStream({ brokers, groupId, topics: [topic], commitEvery: 1, signal })) {
      first.push(e);
      if (first.length === 12) break;
    }
    const all = new Set(first.map((e) => `${e.persistenceId}#${e.sequenceNr}`));
    const second: KafkaEventEnvelope[] = [];
    for await (const e of eventStream({ brokers, groupId, topics: [topic], commitEvery: 1, signal })) {
      second.push(e);
      all.add(`${e.persistenceId}#${e.sequenceNr}`);
      if (all.size === 30) break;
    }
    expect(signal.aborted).toBe(false);
    expect(all.size).toBe(30);
    // 11 events were committed (the 12th was being handled when the loop broke: at least once).
    expect(second).toHaveLength(19);
    for (const stream of [first, second]) {
      for (const id of ids) {
        const seqs = stream.filter((e) => e.persistenceId === id).map((e) => e.sequenceNr);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
      }
    }
    expect(first[0]).toMatchObject({ topic, serializerId: 'json', manifest: 'added' });
    expect(typeof first[0]!.offset).toBe('bigint');
  });

  it('creates a topic that does not exist yet and then yields the first events written to it', async () => {
    const topic = `${prefix}later`;
    const seen: KafkaEventEnvelope[] = [];
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(), 30_000);
    const reading = (async () => {
      for await (const e of eventStream({ brokers, groupId: `${prefix}later-group`, topics: [topic], signal: controller.signal })) {
        seen.push(e);
        if (seen.length === 2) controller.abort();
      }
    })();
    // The stream creates the missing topic itself; only then is anything written to it.
    const admin = new Admin({ clientId: 'test', bootstrapBrokers: brokers });
    try {
      await awaitCondition(async () => (await admin.listTopics()).includes(topic), { timeoutMs: 15_000, intervalMs: 20, message: `the stream creating ${topic}` });
    } finally {
      await admin.close();
    }
    const journal = await KafkaJournal.connect({ brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: eventTopicMapperTo(topic) });
    try {
      expect(await journal.writeMessages([{ persistenceId: 'later-1', events: [event('later-1', 1), event('later-1', 2)] }])).toEqual([undefined]);
    } finally {
      await journal.close();
    }
    await reading;
    clearTimeout(deadline);
    expect(seen.map((e) => `${e.persistenceId}#${e.sequenceNr}`)).toEqual(['later-1#1', 'later-1#2']);
  });

  it('stops fetching while the loop does not pull: it holds at most bufferSize records plus one fetch, then delivers the rest in order', async () => {
    const topic = `${prefix}backpressure`;
    const total = 5000;
    const batch = 100;
    const admin = new Admin({ clientId: 'test', bootstrapBrokers: brokers });
    try {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: -1 });
      await awaitCondition(async () => (await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined))?.topics.get(topic)?.partitions[0]?.leader !== undefined, {
        timeoutMs: 15_000,
        intervalMs: 50,
        message: `a leader for ${topic}`,
      });
    } finally {
      await admin.close();
    }
    // Record batches of 100 small events (~15 KiB), so one batch is below fetchMaxBytes and a fetch returns about two of them.
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'test', bootstrapBrokers: brokers, autocreateTopics: false });
    try {
      for (let start = 0; start < total; start += batch) {
        const messages = [];
        for (let i = start; i < start + batch; i++) {
          const e = encodeEnvelope({ ...event('bp-1', i + 1), tags: [] });
          messages.push({ topic, key: e.key, value: e.value, headers: new Map(e.headers.map(([k, v]) => [Buffer.from(k), v])), timestamp: BigInt(e.timestamp) });
        }
        await producer.send({ messages });
      }
    } finally {
      await producer.close();
    }
    const bufferSize = 100;
    const fetchMaxBytes = 32 * 1024;
    const stream = eventStream({ brokers, groupId: `${prefix}backpressure-group`, topics: [topic], createTopics: false, bufferSize, fetchMaxBytes, signal: AbortSignal.timeout(60_000) });
    const events = stream[Symbol.asyncIterator]();
    const seqs: number[] = [];
    try {
      const first = await events.next();
      if (first.done === true) throw new Error('the stream ended before its first event');
      seqs.push(first.value.sequenceNr);
      // The loop does not pull now. The stream fetches until its buffer reaches bufferSize and
      // then stops; before that bound existed, one fetch took the whole topic.
      await awaitCondition(() => stream.buffered >= bufferSize, { timeoutMs: 30_000, intervalMs: 10, message: `the stream buffering ${bufferSize} records` });
      const held = stream.buffered;
      // bufferSize, plus the records of the fetch that crossed it (about fetchMaxBytes: two batches here, three for slack).
      expect(held).toBeLessThanOrEqual(bufferSize + 3 * batch);
      expect(held).toBeLessThan(total - 1);
      for (;;) {
        const next = await events.next();
        if (next.done === true) break;
        seqs.push(next.value.sequenceNr);
        // The buffer stays bounded while the loop pulls, too.
        expect(stream.buffered).toBeLessThanOrEqual(bufferSize + 3 * batch);
        if (seqs.length === total) break;
      }
    } finally {
      await events.return?.();
    }
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(stream.buffered).toBe(0);
  });

  it("does not move back a partition's committed offset with the records it had fetched before a rebalance gave that partition to another member", async () => {
    const topic = `${prefix}rebalance`;
    const perPartition = 1000;
    const admin = new Admin({ clientId: 'test', bootstrapBrokers: brokers });
    try {
      await admin.createTopics({ topics: [topic], partitions: 2, replicas: -1 });
      await awaitCondition(async () => (await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined))?.topics.get(topic)?.partitions.every((p) => p.leader >= 0) === true, {
        timeoutMs: 15_000,
        intervalMs: 50,
        message: `leaders for ${topic}`,
      });
    } finally {
      await admin.close();
    }
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'test', bootstrapBrokers: brokers, autocreateTopics: false });
    try {
      for (let start = 1; start <= perPartition; start += 100) {
        const messages = [];
        for (const partition of [0, 1]) {
          for (let seq = start; seq < start + 100; seq++) {
            const e = encodeEnvelope({ ...event(`rb-${partition}`, seq), tags: [] });
            messages.push({ topic, partition, key: e.key, value: e.value, headers: new Map(e.headers.map(([k, v]) => [Buffer.from(k), v])), timestamp: BigInt(e.timestamp) });
          }
        }
        await producer.send({ messages });
      }
    } finally {
      await producer.close();
    }
    const groupId = `${prefix}rebalance-group`;
    const signal = AbortSignal.timeout(90_000);
    const options = { brokers, groupId, topics: [topic], createTopics: false, commitEvery: 1, bufferSize: 200, fetchMaxBytes: 32 * 1024, signal };
    const a = eventStream(options);
    const b = eventStream(options);
    const aEvents = a[Symbol.asyncIterator]();
    const bEvents = b[Symbol.asyncIterator]();
    const bOffsets: bigint[] = [];
    let bPartition = -1;
    try {
      // A owns both partitions and holds records of both; it stops pulling.
      expect((await aEvents.next()).done).toBe(false);
      await awaitCondition(() => a.buffered >= 200, { timeoutMs: 30_000, intervalMs: 10, message: 'A buffering 200 records' });
      const held = a.buffered;
      // B joins: the rebalance gives it one partition, which it reads from the group's offset and commits.
      for (;;) {
        const next = await bEvents.next();
        if (next.done === true) throw new Error('B ended');
        bPartition = next.value.partition;
        bOffsets.push(next.value.offset);
        if (bOffsets.length === 600) break;
      }
      // A goes on with what it had fetched, some of it from B's partition now.
      for (let i = 0; i < held; i++) if ((await aEvents.next()).done === true) throw new Error('A ended');
      // The next pull commits A's last event too.
      await aEvents.next();
    } finally {
      await aEvents.return?.();
      await bEvents.return?.();
    }
    expect(signal.aborted).toBe(false);
    const kafka = new kafkajs.Kafka({ clientId: 'offsets-reader', brokers, logLevel: kafkajs.logLevel.NOTHING });
    const kadmin = kafka.admin();
    await kadmin.connect();
    try {
      const [offsets] = await kadmin.fetchOffsets({ groupId, topics: [topic] });
      const committed = BigInt(offsets!.partitions.find((p) => p.partition === bPartition)!.offset);
      // B committed each event it had processed (the 599th by pulling the 600th); A's commits of its old records must not undo that.
      expect(committed).toBeGreaterThanOrEqual(bOffsets[598]! + 1n);
    } finally {
      await kadmin.disconnect();
    }
  });

  it('ends without an error when its signal aborts while it waits for events', async () => {
    const topic = `${prefix}idle`;
    const journal = await KafkaJournal.connect({ brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: eventTopicMapperTo(topic) });
    try {
      await journal.writeMessages([one('idle-1', 1)]);
    } finally {
      await journal.close();
    }
    const controller = new AbortController();
    const seen: KafkaEventEnvelope[] = [];
    for await (const e of eventStream({ brokers, groupId: `${prefix}idle-group`, topics: [topic], signal: controller.signal })) {
      seen.push(e);
      controller.abort();
    }
    expect(seen.map((e) => e.persistenceId)).toEqual(['idle-1']);
  });
});
