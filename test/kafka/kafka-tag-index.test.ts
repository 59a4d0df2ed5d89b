/**
 * The Kafka journal's query index (tag topics, persistence-ids topic): several indexers
 * racing for one write (a write stored by a writer that died before indexing it, recovered
 * by several processes at once: exactly one index transaction may commit), and live
 * queries over another node's writes.
 */
import { Producer } from '@platformatic/kafka';
import { ActorSystem, silentLogger } from '@troupe/core';
import { type EventEnvelope, Persistence, PersistenceQuery, type PersistentRepr } from '@troupe/persistence';
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

  it('live eventsByTag follows the writes of another node and resumes from the stored offset after a restart', async () => {
    const tag = `live-${Date.now().toString(36)}`;
    const writer = await open();
    const collect = async (from: number, count: number): Promise<EventEnvelope[]> => {
      // A reader node: its own journal instance, so it only learns of writes by polling.
      const system = ActorSystem.create({ name: 'live-reader', logger: silentLogger });
      Persistence.configure(system, { journals: { default: await open() } });
      const controller = new AbortController();
      const deadline = setTimeout(() => controller.abort(), 60_000);
      const seen: EventEnvelope[] = [];
      try {
        const queries = await PersistenceQuery.readJournalFor(system, undefined, { refreshIntervalMs: 50, pageSize: 7 });
        for await (const envelope of queries.eventsByTag(tag, from, { signal: controller.signal })) {
          seen.push(envelope);
          if (seen.length === count) break;
        }
      } finally {
        clearTimeout(deadline);
        await system.terminate();
      }
      return seen;
    };
    const write = async (pid: string, seq: number) => {
      const [result] = await writer.writeMessages([
        {
          persistenceId: pid,
          events: [
            {
              persistenceId: pid,
              sequenceNr: seq,
              payload: new TextEncoder().encode(JSON.stringify(seq)),
              serializerId: 'json',
              manifest: '',
              eventManifest: '',
              tags: [tag],
              timestamp: Date.now(),
              writerUuid: 'w',
            },
          ],
        },
      ]);
      if (result !== undefined) throw result;
    };
    try {
      const pids = [`${prefix}live-a`, `${prefix}live-b`];
      // The first reader starts before any event exists and stops after 30.
      const first = collect(0, 30);
      for (let seq = 1; seq <= 30; seq++) for (const pid of pids) await write(pid, seq);
      const firstSeen = await first;
      expect(firstSeen).toHaveLength(30);
      // A new reader resumes from the stored offset and sees exactly the other 30.
      const rest = await collect(firstSeen[firstSeen.length - 1]!.offset, 30);
      const keys = [...firstSeen, ...rest].map((e) => `${e.persistenceId.slice(prefix.length)}:${e.sequenceNr}`);
      expect(new Set(keys).size).toBe(60);
      for (const pid of ['live-a', 'live-b']) {
        expect(keys.filter((k) => k.startsWith(`${pid}:`)).map((k) => Number(k.split(':')[1]))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      }
      expect(rest.map((e) => e.event)).toEqual(rest.map((e) => e.sequenceNr));
    } finally {
      await writer.close();
    }
  });
});
