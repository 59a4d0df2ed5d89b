/**
 * Stops the real Kafka in the middle of writes, then starts it again with its data
 * (TROUPE_SERVICES_KEEP_DATA=1): writes fail, the actor stops and its backoff restarts
 * it, and once Kafka is back every acknowledged event is stored, contiguous, once.
 * Kafka is always started again in `finally`.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ActorSystem, SupervisorStrategy, silentLogger } from '@troupe/core';
import { Persistence, type PersistentRepr } from '@troupe/persistence';
import { EmptyEventTopicMapper, KafkaJournal } from '@troupe/persistence-kafka';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';
import { type CounterNote, type CounterReply, KafkaCounter, deleteTopicsStartingWith, nOf, runPrefix } from './kafka-fixtures.js';

const run = promisify(execFile);
const SERVICES = fileURLToPath(new URL('../../scripts/services', import.meta.url));
const withData = { ...process.env, TROUPE_SERVICES_KEEP_DATA: '1' };
const prefix = runPrefix('fault');

async function services(command: 'start' | 'stop'): Promise<void> {
  await run(SERVICES, [command, 'kafka'], { env: withData, timeout: 150_000 });
}

describe.skipIf(!kafkaAvailable())('KafkaJournal when the broker stops mid-write', () => {
  const brokers = kafkaBrokers();
  afterAll(() => deleteTopicsStartingWith(brokers, prefix));

  it('fails writes, restarts the actor with backoff, and keeps every acknowledged event exactly once and in order, and deletions', async () => {
    const system = ActorSystem.create({ name: 'kafka-faults', logger: silentLogger });
    const options = { brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: EmptyEventTopicMapper, retries: 2, retryDelayMs: 100, connectTimeoutMs: 1000, requestTimeoutMs: 3000 };
    Persistence.configure(system, { journals: { default: { plugin: 'kafka', options } } });
    const notes = TestProbe.create<CounterNote>(system, { timeoutMs: 60_000 });
    const actor = system.spawn(() => new KafkaCounter('fault-1', notes.ref), {
      name: 'fault-1',
      supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 100, maxBackoffMs: 1000, randomFactor: 0, logFailures: false }),
    });
    const acknowledged: { n: number; seq: number }[] = [];
    let unacknowledged = 0;
    let stopped = false;
    let n = 0;
    const driver = (async () => {
      while (!stopped) {
        const mine = ++n;
        try {
          const reply = await actor.ask<CounterReply>((replyTo) => ({ type: 'add', n: mine, replyTo }), { timeoutMs: 2000 });
          acknowledged.push({ n: mine, seq: reply.seq });
        } catch {
          unacknowledged++;
        }
      }
    })();
    // A deletion made before the stop must survive the broker's restart (DeleteRecords).
    const before = await KafkaJournal.connect({ ...options });
    try {
      await before.writeMessages([
        {
          persistenceId: 'fault-deleted',
          events: [1, 2, 3, 4, 5].map((seq) => ({
            persistenceId: 'fault-deleted',
            sequenceNr: seq,
            payload: Buffer.from(JSON.stringify({ type: 'added', n: seq })),
            serializerId: 'json',
            manifest: '',
            eventManifest: '',
            tags: [],
            timestamp: Date.now(),
            writerUuid: 'w',
          })),
        },
      ]);
      await before.deleteMessagesTo('fault-deleted', 3);
    } finally {
      await before.close();
    }
    let kafkaStopped = false;
    try {
      await awaitCondition(() => acknowledged.length >= 30, { timeoutMs: 30_000, message: '30 acknowledged writes before the stop' });
      kafkaStopped = true;
      await services('stop');
      const ackedWhileUp = acknowledged.length;
      await notes.fishForMessage((note) => note.note === 'failed' && note.code === 'ERR_JOURNAL_WRITE');
      await awaitCondition(() => unacknowledged >= 2, { timeoutMs: 30_000, message: 'writes failing while Kafka is down' });
      await services('start');
      kafkaStopped = false;
      await awaitCondition(() => acknowledged.length >= ackedWhileUp + 30, { timeoutMs: 90_000, intervalMs: 50, message: '30 more acknowledged writes after Kafka is back' });
    } finally {
      stopped = true;
      await driver;
      // Never leave the shared broker down, whatever failed above.
      if (kafkaStopped) await services('start');
    }
    await system.terminate();

    const journal = await KafkaJournal.connect({ ...options });
    let stored: PersistentRepr[] = [];
    try {
      for await (const page of journal.replayMessages('fault-1', { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) stored = stored.concat(page);
      expect(await journal.readHighestSequenceNr('fault-1')).toBe(stored.length);
      const survivors: number[] = [];
      for await (const page of journal.replayMessages('fault-deleted', { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) survivors.push(...page.map((e) => e.sequenceNr));
      expect(survivors).toEqual([4, 5]);
      expect(await journal.readHighestSequenceNr('fault-deleted')).toBe(5);
    } finally {
      await journal.close();
    }
    // Contiguous from 1, and no command's event stored twice.
    expect(stored.map((e) => e.sequenceNr)).toEqual(stored.map((_, i) => i + 1));
    const ns = stored.map(nOf);
    expect(new Set(ns).size).toBe(ns.length);
    // Every acknowledged event is there, at the sequence number its reply named.
    for (const { n: value, seq } of acknowledged) expect(nOf(stored[seq - 1]!)).toBe(value);
    expect(unacknowledged).toBeGreaterThan(0);
    console.log(JSON.stringify({ acknowledged: acknowledged.length, unacknowledged, stored: stored.length }));
  });
});
