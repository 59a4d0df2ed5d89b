/**
 * Persistent actors on the Kafka plugins, configured by plugin name, against the real
 * broker: recovery replays what was stored, and a small actor recovers well under 100 ms.
 */
import { ActorSystem, SupervisorStrategy, silentLogger } from '@troupe/core';
import { Persistence } from '@troupe/persistence';
import { KafkaJournal } from '@troupe/persistence-kafka';
import { TestProbe } from '@troupe/testkit';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';
import { type CounterNote, type CounterReply, KafkaCounter, deleteTopicsStartingWith, runPrefix } from './kafka-fixtures.js';

const prefix = runPrefix('actor');

describe.skipIf(!kafkaAvailable())('PersistentActor on KafkaJournal', () => {
  const brokers = kafkaBrokers();
  let system: ActorSystem;

  beforeEach(() => {
    system = ActorSystem.create({ name: 'kafka-actor-test', logger: silentLogger });
    Persistence.configure(system, {
      journals: { default: { plugin: 'kafka', options: { brokers, journalTopicPrefix: `${prefix}j-`, eventTopicMapper: { topicsFor: () => [`${prefix}events`] } } } },
      snapshotStores: { default: { plugin: 'kafka', options: { brokers, snapshotTopicPrefix: `${prefix}s-` } } },
    });
  });
  afterEach(() => system.terminate());
  afterAll(() => deleteTopicsStartingWith(brokers, prefix));

  it('recovers the state of a restarted actor from its journal topic', async () => {
    const replies = TestProbe.create<CounterReply>(system, { timeoutMs: 15_000 });
    const notes = TestProbe.create<CounterNote>(system, { timeoutMs: 15_000 });
    const spawn = (name: string) => system.spawn(() => new KafkaCounter('counter-a', notes.ref), { name, supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 10, maxBackoffMs: 100 }) });
    const first = spawn('first');
    expect(await notes.expectMessage()).toEqual({ note: 'recovered', seq: 0, total: 0 });
    for (const n of [1, 2, 3, 4]) first.tell({ type: 'add', n, replyTo: replies.ref });
    expect((await replies.receiveN(4)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    system.stop(first);
    notes.watch(first);
    await notes.expectTerminated(first);
    spawn('second');
    expect(await notes.expectMessage()).toEqual({ note: 'recovered', seq: 4, total: 10 });
  });

  it('recovers an actor with 10 events well under 100 ms on loopback', async () => {
    const journal = (await Persistence.get(system).journalFor()).journal as KafkaJournal;
    const notes = TestProbe.create<CounterNote>(system, { timeoutMs: 15_000 });
    const replies = TestProbe.create<CounterReply>(system, { timeoutMs: 15_000 });
    const writer = system.spawn(() => new KafkaCounter('small-1', notes.ref), { name: 'writer' });
    await notes.expectMessage();
    for (let n = 1; n <= 10; n++) writer.tell({ type: 'add', n, replyTo: replies.ref });
    await replies.receiveN(10);
    system.stop(writer);
    notes.watch(writer);
    await notes.expectTerminated(writer);

    const samples: number[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      const actor = system.spawn(() => new KafkaCounter('small-1', notes.ref), { name: `reader-${i}` });
      expect(await notes.expectMessage()).toEqual({ note: 'recovered', seq: 10, total: 55 });
      samples.push(performance.now() - started);
      system.stop(actor);
      notes.watch(actor);
      await notes.expectTerminated(actor);
    }
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)]!;
    console.log(JSON.stringify({ figure: 'actor-recovery-10-events-ms', p50: median, max: samples[samples.length - 1], n: samples.length, journal: journal.constructor.name }));
    expect(median).toBeLessThan(100);
  });
});
