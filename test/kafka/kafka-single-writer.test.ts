/**
 * The single-writer guarantee of KafkaJournal on the real broker (hardening issue, item 2):
 * two independent journal instances (two `KafkaJournal.connect`s, as two processes would
 * have) writing one persistence id at once, a zombie writer after a newer claim, deletion
 * around fences, and topics written in the format before fences existed.
 */
import { Admin, Producer } from '@platformatic/kafka';
import { ActorSystem, silentLogger } from '@troupe/core';
import { type AtomicWrite, Persistence, type PersistentRepr, SequenceNumberTakenError, WriterFencedError } from '@troupe/persistence';
import { EmptyEventTopicMapper, KafkaJournal, encodeEnvelope } from '@troupe/persistence-kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { TestProbe } from '@troupe/testkit';
import { kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';
import { type CounterNote, type CounterReply, KafkaCounter, deleteTopicsStartingWith, runPrefix } from './kafka-fixtures.js';

const prefix = runPrefix('sw');

function event(persistenceId: string, seq: number, writerUuid: string): PersistentRepr {
  return {
    persistenceId,
    sequenceNr: seq,
    payload: Buffer.from(`${writerUuid}:${seq}`),
    serializerId: 'json',
    manifest: '',
    eventManifest: '',
    tags: [],
    timestamp: 1_700_000_000_000 + seq,
    writerUuid,
  };
}

function write(persistenceId: string, writerUuid: string, from: number, to = from): AtomicWrite {
  const events: PersistentRepr[] = [];
  for (let seq = from; seq <= to; seq++) events.push(event(persistenceId, seq, writerUuid));
  return { persistenceId, events };
}

/** Every event of the id as `writer:seq` strings, in replay order. */
async function history(journal: KafkaJournal, persistenceId: string, fromSequenceNr = 1): Promise<string[]> {
  const seen: string[] = [];
  for await (const page of journal.replayMessages(persistenceId, { fromSequenceNr, toSequenceNr: Infinity, max: Infinity })) {
    for (const e of page) {
      expect(Buffer.from(e.payload).toString('utf8')).toBe(`${e.writerUuid}:${e.sequenceNr}`);
      seen.push(`${e.writerUuid}:${e.sequenceNr}`);
    }
  }
  return seen;
}

describe.skipIf(!kafkaAvailable())('KafkaJournal with two writers of one persistence id', () => {
  const brokers = kafkaBrokers();
  const connect = () => KafkaJournal.connect({ brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: EmptyEventTopicMapper });
  afterAll(() => deleteTopicsStartingWith(brokers, prefix));

  /**
   * Two writers, each sure it owns the id, write the next number one after another until
   * the journal refuses one of their writes (the persistent actor would then stop).
   */
  async function race(a: KafkaJournal, b: KafkaJournal, persistenceId: string, fromSeq: number, writes: number): Promise<{ acknowledged: string[]; refusals: Error[] }> {
    const acknowledged: string[] = [];
    const refusals: Error[] = [];
    const run = async (journal: KafkaJournal, writer: string): Promise<void> => {
      for (let seq = fromSeq; seq < fromSeq + writes; seq++) {
        const [result] = await journal.writeMessages([write(persistenceId, writer, seq)]);
        if (result !== undefined) {
          refusals.push(result);
          return;
        }
        acknowledged.push(`${writer}:${seq}`);
      }
    };
    await Promise.all([run(a, 'A'), run(b, 'B')]);
    return { acknowledged, refusals };
  }

  it('keeps every acknowledged event when two journal instances write one id at once, and refuses the loser with SequenceNumberTakenError', async () => {
    const [a, b, reader] = await Promise.all([connect(), connect(), connect()]);
    try {
      // Both incarnations "recovered" the empty id before either wrote (no claim: an id
      // never claimed accepts any writer, so only the numbers can collide).
      for (let round = 0; round < 5; round++) {
        const id = `race-${round}`;
        expect(await a.readHighestSequenceNr(id, 1)).toBe(0);
        expect(await b.readHighestSequenceNr(id, 1)).toBe(0);
        const { acknowledged, refusals } = await race(a, b, id, 1, 15);
        for (const refusal of refusals) {
          expect(refusal).toBeInstanceOf(SequenceNumberTakenError);
          expect((refusal as SequenceNumberTakenError).code).toBe('ERR_SEQUENCE_NUMBER_TAKEN');
        }
        // A fresh instance (a third process) recovers the id: contiguous from 1, every
        // acknowledged event in it, nothing that was refused.
        const stored = await history(reader, id);
        expect(stored.map((s) => Number(s.split(':')[1]))).toEqual(stored.map((_, i) => i + 1));
        expect(new Set(stored)).toEqual(new Set(acknowledged));
        expect(await reader.readHighestSequenceNr(id, 1)).toBe(stored.length);
        // At most one writer kept going; the history goes on from where it ends.
        const next = stored.length + 1;
        expect(await reader.writeMessages([write(id, 'C', next)])).toEqual([undefined]);
        expect((await history(reader, id)).at(-1)).toBe(`C:${next}`);
      }
    } finally {
      await Promise.all([a.close(), b.close(), reader.close()]);
    }
  });

  it('fences the older incarnation once a newer one claims the id, even when its numbers do not collide', async () => {
    const [old, newer, reader] = await Promise.all([connect(), connect(), connect()]);
    const id = 'zombie-1';
    try {
      await old.claimWriter('zombie-1', 'old');
      expect(await old.readHighestSequenceNr(id, 1)).toBe(0);
      expect(await old.writeMessages([write(id, 'old', 1, 3)])).toEqual([undefined]);
      // Failover: the new incarnation claims and recovers while the old one still runs.
      await newer.claimWriter(id, 'new');
      expect(await newer.readHighestSequenceNr(id, 1)).toBe(3);
      // The zombie writes the next number before the new incarnation writes anything.
      const [zombie] = await old.writeMessages([write(id, 'old', 4)]);
      expect(zombie).toBeInstanceOf(WriterFencedError);
      expect((zombie as WriterFencedError).code).toBe('ERR_WRITER_FENCED');
      expect(await newer.writeMessages([write(id, 'new', 4, 5)])).toEqual([undefined]);
      // It stays fenced, whatever number it tries.
      const [again] = await old.writeMessages([write(id, 'old', 6)]);
      expect(again).toBeInstanceOf(WriterFencedError);
      expect(await newer.writeMessages([write(id, 'new', 6)])).toEqual([undefined]);
      expect(await history(reader, id)).toEqual(['old:1', 'old:2', 'old:3', 'new:4', 'new:5', 'new:6']);
      expect(await reader.readHighestSequenceNr(id, 1)).toBe(6);
      // A restarted journal (no caches) still fences the old writer: the claim is in the log.
      const restarted = await connect();
      try {
        const [late] = await restarted.writeMessages([write(id, 'old', 7)]);
        expect(late).toBeInstanceOf(WriterFencedError);
        expect(await history(restarted, id, 5)).toEqual(['new:5', 'new:6']);
      } finally {
        await restarted.close();
      }
    } finally {
      await Promise.all([old.close(), newer.close(), reader.close()]);
    }
  });

  it('keeps every acknowledged event when a newer incarnation claims while the old one writes', async () => {
    const [old, newer, reader] = await Promise.all([connect(), connect(), connect()]);
    const id = 'failover-race';
    try {
      await old.claimWriter(id, 'A');
      await old.readHighestSequenceNr(id, 1);
      const acknowledged: string[] = [];
      const refusals: Error[] = [];
      const oldWriting = (async () => {
        for (let seq = 1; seq <= 40; seq++) {
          const [result] = await old.writeMessages([write(id, 'A', seq)]);
          if (result !== undefined) {
            refusals.push(result);
            return;
          }
          acknowledged.push(`A:${seq}`);
        }
      })();
      // The newer incarnation claims while the old one is mid-way, then writes on.
      await new Promise<void>((resolve) => {
        const check = (): void => void (acknowledged.length >= 5 ? resolve() : setImmediate(check));
        check();
      });
      await newer.claimWriter(id, 'B');
      const highest = await newer.readHighestSequenceNr(id, 1);
      for (let seq = highest + 1; seq <= highest + 10; seq++) {
        const [result] = await newer.writeMessages([write(id, 'B', seq)]);
        expect(result).toBeUndefined();
        acknowledged.push(`B:${seq}`);
      }
      await oldWriting;
      if (refusals.length > 0) expect(refusals[0]).toBeInstanceOf(WriterFencedError);
      const stored = await history(reader, id);
      expect(stored.map((s) => Number(s.split(':')[1]))).toEqual(stored.map((_, i) => i + 1));
      expect(new Set(stored)).toEqual(new Set(acknowledged));
    } finally {
      await Promise.all([old.close(), newer.close(), reader.close()]);
    }
  });

  it('recovers topics written before fences existed (event n at offset n - 1), also after deletion, and fences them from then on', async () => {
    const journal = await connect();
    const id = 'legacy-1';
    const topic = journal.topicOf(id);
    // The format of the journal before this change: plain envelopes, offset = sequence number - 1.
    const admin = new Admin({ clientId: 'legacy-admin', bootstrapBrokers: brokers });
    try {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    } finally {
      await admin.close();
    }
    const producer = new Producer({ clientId: 'legacy-writer', bootstrapBrokers: brokers, autocreateTopics: false, idempotent: true, acks: -1 });
    try {
      const messages = Array.from({ length: 6 }, (_, i) => {
        const e = encodeEnvelope(event(id, i + 1, 'legacy'));
        return { topic, partition: 0, key: e.key, value: e.value, headers: new Map(e.headers.map(([n, v]) => [Buffer.from(n), v])) };
      });
      await producer.send({ messages });
    } finally {
      await producer.close();
    }
    const fresh = await connect();
    try {
      expect(await fresh.readHighestSequenceNr(id, 1)).toBe(6);
      expect(await history(fresh, id)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `legacy:${n}`));
      expect(await history(fresh, id, 4)).toEqual(['legacy:4', 'legacy:5', 'legacy:6']);
      // A deletion by the journal before this change: deleteMessagesTo(2) cut the log at offset 2.
      const cutter = new Admin({ clientId: 'legacy-delete', bootstrapBrokers: brokers });
      try {
        await cutter.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 2n }] }] });
      } finally {
        await cutter.close();
      }
      const afterDelete = await connect();
      try {
        expect(await afterDelete.readHighestSequenceNr(id, 1)).toBe(6);
        expect(await history(afterDelete, id)).toEqual([3, 4, 5, 6].map((n) => `legacy:${n}`));
        expect(await history(afterDelete, id, 5)).toEqual(['legacy:5', 'legacy:6']);
      } finally {
        await afterDelete.close();
      }
      // The next incarnation claims and writes on; the legacy writer is fenced from then on.
      await fresh.claimWriter(id, 'next');
      expect(await fresh.readHighestSequenceNr(id, 1)).toBe(6);
      expect(await fresh.writeMessages([write(id, 'next', 7)])).toEqual([undefined]);
      const [legacy] = await journal.writeMessages([write(id, 'legacy', 8)]);
      expect(legacy).toBeInstanceOf(WriterFencedError);
    } finally {
      await fresh.close();
      await journal.close();
    }
  });

  it('keeps the history, the highest number and the fence across deletions', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    const id = 'deleted-1';
    try {
      await a.claimWriter(id, 'A');
      expect(await a.writeMessages([write(id, 'A', 1, 4)])).toEqual([undefined]);
      await b.claimWriter(id, 'B');
      expect(await b.readHighestSequenceNr(id, 1)).toBe(4);
      expect(await b.writeMessages([write(id, 'B', 5, 8)])).toEqual([undefined]);
      await b.deleteMessagesTo(id, 6);
      for (const journal of [await connect(), b]) {
        try {
          expect(await journal.readHighestSequenceNr(id, 1)).toBe(8);
          expect(await history(journal, id)).toEqual(['B:7', 'B:8']);
          // The claim before the deleted events still fences A.
          const [zombie] = await journal.writeMessages([write(id, 'A', 9)]);
          expect(zombie).toBeInstanceOf(WriterFencedError);
        } finally {
          if (journal !== b) await journal.close();
        }
      }
      await b.deleteMessagesTo(id, Infinity);
      const fresh = await connect();
      try {
        expect(await fresh.readHighestSequenceNr(id, 1)).toBe(8);
        expect(await history(fresh, id)).toEqual([]);
        const [zombie] = await fresh.writeMessages([write(id, 'A', 9)]);
        expect(zombie).toBeInstanceOf(WriterFencedError);
        expect(await fresh.writeMessages([write(id, 'B', 9)])).toEqual([undefined]);
        expect(await history(fresh, id)).toEqual(['B:9']);
      } finally {
        await fresh.close();
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a journal instance that never saw the id reads a long history with fences and junk from checkpoints near the start and the end', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    const id = 'long-fenced';
    const writeRange = async (journal: KafkaJournal, writer: string, from: number, to: number): Promise<void> => {
      for (let seq = from; seq <= to; seq += 10) expect(await journal.writeMessages([write(id, writer, seq, Math.min(to, seq + 9))])).toEqual([undefined]);
    };
    try {
      await a.claimWriter(id, 'A');
      expect(await a.readHighestSequenceNr(id, 1)).toBe(0);
      await writeRange(a, 'A', 1, 300);
      await b.claimWriter(id, 'B');
      expect(await b.readHighestSequenceNr(id, 290)).toBe(300);
      await writeRange(b, 'B', 301, 310);
      expect((await a.writeMessages([write(id, 'A', 301, 305)]))[0]).toBeInstanceOf(WriterFencedError);
      await writeRange(b, 'B', 311, 500);
      // Junk near the end: a fenced write, and a taken number from another instance.
      expect((await a.writeMessages([write(id, 'A', 501)]))[0]).toBeInstanceOf(WriterFencedError);
      const third = await connect();
      try {
        expect((await third.writeMessages([write(id, 'B', 499, 500)]))[0]).toBeInstanceOf(SequenceNumberTakenError);
      } finally {
        await third.close();
      }
      const expected = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${from + i <= 300 ? 'A' : 'B'}:${from + i}`);
      for (const [from, to] of [
        [450, 500],
        [1, 500],
        [250, 320],
        [301, 301],
      ] as const) {
        // As a recovery from a snapshot at `from - 1` on another node: highest, then replay.
        const fresh = await connect();
        try {
          expect(await fresh.readHighestSequenceNr(id, from)).toBe(500);
          const seen: string[] = [];
          for await (const page of fresh.replayMessages(id, { fromSequenceNr: from, toSequenceNr: to, max: Infinity })) seen.push(...page.map((e) => `${e.writerUuid}:${e.sequenceNr}`));
          expect(seen).toEqual(expected(from, to));
        } finally {
          await fresh.close();
        }
        // And a replay alone, without the highest number first.
        const cold = await connect();
        try {
          expect((await history(cold, id, from)).slice(0, to - from + 1)).toEqual(expected(from, to));
        } finally {
          await cold.close();
        }
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('two actor systems running one persistent actor id at once: the older incarnation stops, a third system recovers every acknowledged event', async () => {
    const systems: ActorSystem[] = [];
    // Each system configures its own KafkaJournal by plugin name: its own connections, as a process would.
    const start = (name: string): ActorSystem => {
      const system = ActorSystem.create({ name, logger: silentLogger });
      Persistence.configure(system, { journals: { default: { plugin: 'kafka', options: { brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: EmptyEventTopicMapper } } } });
      systems.push(system);
      return system;
    };
    const id = 'split-brain-counter';
    try {
      const systemA = start('node-a');
      const notesA = TestProbe.create<CounterNote>(systemA, { timeoutMs: 30_000 });
      const repliesA = TestProbe.create<CounterReply>(systemA, { timeoutMs: 30_000 });
      const a = systemA.spawn(() => new KafkaCounter(id, notesA.ref), { name: 'counter' });
      expect(await notesA.expectMessage()).toEqual({ note: 'recovered', seq: 0, total: 0 });
      for (const n of [1, 2, 3]) a.tell({ type: 'add', n, replyTo: repliesA.ref });
      expect((await repliesA.receiveN(3)).map((r) => r.seq)).toEqual([1, 2, 3]);

      // The same id starts on a second node (a split brain): it recovers A's events.
      const systemB = start('node-b');
      const notesB = TestProbe.create<CounterNote>(systemB, { timeoutMs: 30_000 });
      const repliesB = TestProbe.create<CounterReply>(systemB, { timeoutMs: 30_000 });
      const b = systemB.spawn(() => new KafkaCounter(id, notesB.ref), { name: 'counter' });
      expect(await notesB.expectMessage()).toEqual({ note: 'recovered', seq: 3, total: 6 });

      // Both write at once. A, the older incarnation, is refused and stops; B goes on.
      notesA.watch(a);
      for (let n = 10; n < 20; n++) {
        a.tell({ type: 'add', n, replyTo: repliesA.ref });
        b.tell({ type: 'add', n: n * 100, replyTo: repliesB.ref });
      }
      const fromB = await repliesB.receiveN(10);
      expect(fromB.map((r) => r.seq)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
      await notesA.expectTerminated(a);
      expect(repliesA.queued).toEqual([]);
      b.tell({ type: 'add', n: 5, replyTo: repliesB.ref });
      expect(await repliesB.expectMessage()).toEqual({ total: 6 + 14_500 + 5, seq: 14 });
      await Promise.all([systemA.terminate(), systemB.terminate()]);

      // A third node recovers: exactly the acknowledged events.
      const systemC = start('node-c');
      const notesC = TestProbe.create<CounterNote>(systemC, { timeoutMs: 30_000 });
      systemC.spawn(() => new KafkaCounter(id, notesC.ref), { name: 'counter' });
      expect(await notesC.expectMessage()).toEqual({ note: 'recovered', seq: 14, total: 6 + 14_500 + 5 });
    } finally {
      await Promise.allSettled(systems.map((system) => system.terminate()));
    }
  });
});
