/**
 * KafkaJournal under persistent actors vs the raw @platformatic/kafka client doing the
 * same work, side by side in one run, on the real broker:
 *
 * - write throughput, 1 actor: each event persisted (and acknowledged) before the next;
 *   raw: one idempotent send of one enveloped record, awaited, per event;
 * - write throughput, 1,000 actors: every actor persists its events one after another,
 *   all actors at once (the journal's group commit batches them); raw: one send per
 *   round carrying one record for each of the 1,000 topics (the best batching by hand);
 * - recovery of 100,000 events: actor start until recovery completed; raw: group-less
 *   Fetch of the partition from offset 0 to its end;
 * - small-actor recovery latency (10 events): actor start until recovery completed;
 *   raw: the same group-less read;
 * - recovery of the 100,000 events by a journal instance that never saw the id (failover);
 * - recovery from a snapshot (the last 10 events of the 100,000), by a fresh and by a warm
 *   journal instance: claimWriter + readHighestSequenceNr + replay; raw: a read of those 10;
 * - the compliance kit's `measureJournalPerformance` (no raw counterpart).
 *
 * Event topics are off (EmptyEventTopicMapper) so both sides write the same records.
 * Bounded in size; every topic it creates is deleted at the end. Prints a table and one
 * JSON line, and writes bench/results/kafka.json.
 *
 *   node dist/kafka/journal-bench.js [--brokers 127.0.0.1:19092] [--quick]
 */
import { writeFileSync } from 'node:fs';
import { Admin } from '@platformatic/kafka';
import { Actor, type ActorRef, ActorSystem, ConsoleLogger } from '@troupe/core';
import { Persistence, PersistentActor } from '@troupe/persistence';
import { measureJournalPerformance } from '@troupe/persistence/tck';
import { EmptyEventTopicMapper, KafkaJournal, encodeEnvelope } from '@troupe/persistence-kafka';
import { PlatformaticPartitionReader, createTopics, deleteTopics, platformaticProducer } from './raw-clients.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const brokers = option('brokers', process.env.TROUPE_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const quick = args.includes('--quick');
const SIZES = quick
  ? { oneActorEvents: 500, actors: 100, eventsPerActor: 5, recoveryEvents: 10_000, latencySamples: 10 }
  : { oneActorEvents: 3000, actors: 1000, eventsPerActor: 10, recoveryEvents: 100_000, latencySamples: 30 };
const run = `kb${Date.now().toString(36)}`;
const journalPrefix = `${run}-j-`;
const rawPrefix = `${run}-raw-`;
const payload = Buffer.from(JSON.stringify({ type: 'added', n: 1, pad: 'x'.repeat(60) }));

type Cmd = { readonly type: 'add'; readonly replyTo?: ActorRef<number> } | { readonly type: 'noop' };
type Evt = { readonly type: 'added'; readonly n: number; readonly pad: string };

/** Persists one event per `add`, replying with its sequence number when asked to. */
class BenchActor extends PersistentActor<Cmd, Evt> {
  count = 0;
  constructor(
    readonly persistenceId: string,
    private readonly recovered?: () => void,
  ) {
    super();
  }
  applyEvent(): void {
    this.count++;
  }
  override onRecoveryCompleted(): void {
    this.recovered?.();
  }
  async receiveCommand(command: Cmd): Promise<void> {
    if (command.type !== 'add') return;
    await this.persist({ type: 'added', n: 1, pad: 'x'.repeat(60) });
    command.replyTo?.tell(this.lastSequenceNr);
  }
}

function rawRecord(topic: string, persistenceId: string, sequenceNr: number) {
  const e = encodeEnvelope({ persistenceId, sequenceNr, payload, serializerId: 'json', manifest: '', eventManifest: '', tags: [], timestamp: Date.now(), writerUuid: 'raw' });
  return { topic, partition: 0, key: e.key, value: e.value, headers: new Map(e.headers.map(([k, v]) => [Buffer.from(k), v])), timestamp: BigInt(e.timestamp) };
}

function newSystem(name: string): ActorSystem {
  const system = ActorSystem.create({ name, logger: new ConsoleLogger('error') });
  Persistence.configure(system, {
    journals: { default: { plugin: 'kafka', options: { brokers, journalTopicPrefix: journalPrefix, eventTopicMapper: EmptyEventTopicMapper } } },
  });
  return system;
}

const results: Record<string, { troupe: number; raw: number; unit: string; ratio: number; note: string }> = {};
function record(name: string, troupe: number, raw: number, unit: string, higherIsBetter: boolean, note: string): void {
  const ratio = higherIsBetter ? troupe / raw : raw / troupe;
  results[name] = { troupe: Math.round(troupe * 100) / 100, raw: Math.round(raw * 100) / 100, unit, ratio: Math.round(ratio * 100) / 100, note };
  console.log(`${name.padEnd(34)} troupe ${String(results[name]!.troupe).padStart(10)}  raw ${String(results[name]!.raw).padStart(10)}  ${unit.padEnd(9)} ratio ${results[name]!.ratio}`);
}

/** Resolves when `count` replies arrived; rejects after `timeoutMs` (a failed write never replies). */
function replyCounter(system: ActorSystem, count: number, timeoutMs = 300_000): { ref: ActorRef<number>; done: Promise<void> } {
  let left = count;
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`${left} of ${count} replies missing after ${timeoutMs} ms (see the error log above)`)), timeoutMs);
  void done.then(
    () => clearTimeout(timer),
    () => undefined,
  );
  const counter = system.spawn<number>(() => new ReplyCounter(() => --left === 0 && resolve()), { name: `count-${Math.random().toString(36).slice(2)}` });
  return { ref: counter, done };
}

/** Counts replies. */
class ReplyCounter extends Actor<number> {
  constructor(private readonly onReply: () => void) {
    super();
  }
  receive(): void {
    this.onReply();
  }
}

async function spawnRecovered(system: ActorSystem, persistenceId: string, name: string): Promise<{ ref: ActorRef<Cmd>; ms: number }> {
  let resolve!: () => void;
  const recovered = new Promise<void>((r) => (resolve = r));
  const t0 = performance.now();
  const ref = system.spawn<Cmd>(() => new BenchActor(persistenceId, resolve), { name });
  await recovered;
  return { ref, ms: performance.now() - t0 };
}

/** Best of `rounds` alternating runs of each side (the box is shared: noise is large). */
const ROUNDS = 3;

async function writeOneActor(admin: Admin): Promise<void> {
  const n = SIZES.oneActorEvents;
  const system = newSystem('bench-one');
  const { ref } = await spawnRecovered(system, 'one-actor', 'one');
  const warm = replyCounter(system, 1);
  ref.tell({ type: 'add', replyTo: warm.ref }); // creates the topic outside the timing
  await warm.done;
  const topic = `${rawPrefix}one`;
  await createTopics(admin, [topic]);
  const producer = platformaticProducer(brokers);
  let seq = 1;
  await producer.send({ messages: [rawRecord(topic, 'raw-one', seq++)] });
  let troupeRate = 0;
  let rawRate = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const replies = replyCounter(system, n);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) ref.tell({ type: 'add', replyTo: replies.ref });
    await replies.done;
    troupeRate = Math.max(troupeRate, (n / (performance.now() - t0)) * 1000);
    const r0 = performance.now();
    for (let i = 0; i < n; i++) await producer.send({ messages: [rawRecord(topic, 'raw-one', seq++)] });
    rawRate = Math.max(rawRate, (n / (performance.now() - r0)) * 1000);
  }
  await producer.close();
  await system.terminate();
  record('write, 1 actor', troupeRate, rawRate, 'events/s', true, `${n} events, each acknowledged before the next; best of ${ROUNDS} alternating rounds`);
}

async function writeManyActors(admin: Admin): Promise<void> {
  const actors = SIZES.actors;
  const per = SIZES.eventsPerActor;
  const total = actors * per;
  // Troupe: topics are created by the first write of each actor, outside the timing.
  const system = newSystem('bench-many');
  const refs: ActorRef<Cmd>[] = [];
  for (let a = 0; a < actors; a++) refs.push((await spawnRecovered(system, `many-${a}`, `m${a}`)).ref);
  const first = replyCounter(system, actors);
  for (const ref of refs) ref.tell({ type: 'add', replyTo: first.ref });
  await first.done;
  // Raw: one send per round with one record per topic.
  const topics = Array.from({ length: actors }, (_, a) => `${rawPrefix}many-${a}`);
  await createTopics(admin, topics);
  const producer = platformaticProducer(brokers);
  let seq = 1;
  await producer.send({ messages: topics.map((t, a) => rawRecord(t, `raw-many-${a}`, seq)) });
  let troupeRate = 0;
  let rawRate = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const replies = replyCounter(system, total);
    const t0 = performance.now();
    for (let i = 0; i < per; i++) for (const ref of refs) ref.tell({ type: 'add', replyTo: replies.ref });
    await replies.done;
    troupeRate = Math.max(troupeRate, (total / (performance.now() - t0)) * 1000);
    const r0 = performance.now();
    for (let i = 0; i < per; i++) {
      seq++;
      await producer.send({ messages: topics.map((t, a) => rawRecord(t, `raw-many-${a}`, seq)) });
    }
    rawRate = Math.max(rawRate, (total / (performance.now() - r0)) * 1000);
  }
  await producer.close();
  await system.terminate();
  record(`write, ${actors} actors`, troupeRate, rawRate, 'events/s', true, `${per} events per actor, sequential per actor, all actors at once; best of ${ROUNDS} alternating rounds`);
}

async function recovery(admin: Admin): Promise<void> {
  const n = SIZES.recoveryEvents;
  const persistenceId = 'recover-big';
  const topic = new KafkaJournal({ brokers, journalTopicPrefix: journalPrefix, eventTopicMapper: EmptyEventTopicMapper }).topicOf(persistenceId);
  // Both sides read the same topics, written by KafkaJournal as an actor would (claim,
  // recover, then writes of 1,000 events), so they hold what the journal really stores.
  const small = 'recover-small';
  const smallTopic = `${journalPrefix}${small}`;
  const writer = await KafkaJournal.connect({ brokers, journalTopicPrefix: journalPrefix, eventTopicMapper: EmptyEventTopicMapper });
  for (const [id, count] of [
    [persistenceId, n],
    [small, 10],
  ] as const) {
    await writer.claimWriter?.(id, 'bench-writer');
    await writer.readHighestSequenceNr(id, 1);
    for (let i = 0; i < count; i += 1000) {
      const events = Array.from({ length: Math.min(1000, count - i) }, (_, k) => ({
        persistenceId: id,
        sequenceNr: i + k + 1,
        payload,
        serializerId: 'json',
        manifest: '',
        eventManifest: '',
        tags: [],
        timestamp: Date.now(),
        writerUuid: 'bench-writer',
      }));
      const [result] = await writer.writeMessages([{ persistenceId: id, events }]);
      if (result !== undefined) throw result;
    }
  }
  await writer.close();

  const reader = new PlatformaticPartitionReader(admin);
  await reader.readAll(smallTopic); // connection set up outside the timing, as for Troupe below
  const system = newSystem('bench-recovery');
  await spawnRecovered(system, 'warm-up', 'warm-up');
  // Troupe then raw, alternating; the best run of each counts.
  let troupeMs = Infinity;
  let rawMs = Infinity;
  let fetchOnlyMs = Infinity;
  for (let attempt = 0; attempt < ROUNDS; attempt++) {
    const { ref, ms } = await spawnRecovered(system, persistenceId, `big-${attempt}`);
    troupeMs = Math.min(troupeMs, ms);
    system.stop(ref);
    const r0 = performance.now();
    const count = await reader.readAll(topic, 0n, true);
    rawMs = Math.min(rawMs, performance.now() - r0);
    // The writer's claim and Troupe's recoveries each add one fence record (claimWriter), read here too.
    if (count < n) throw new Error(`raw read ${count} of ${n} events`);
    const f0 = performance.now();
    await reader.readAll(topic);
    fetchOnlyMs = Math.min(fetchOnlyMs, performance.now() - f0);
  }
  record(
    `recovery of ${n} events`,
    (n / troupeMs) * 1000,
    (n / rawMs) * 1000,
    'events/s',
    true,
    `actor start to recovery completed vs a group-less read of the partition that JSON-parses each event; best of ${ROUNDS} alternating runs`,
  );
  record(`recovery of ${n} events (raw: fetch only)`, (n / troupeMs) * 1000, (n / fetchOnlyMs) * 1000, 'events/s', true, 'the same Troupe figure vs a raw read that does not even parse the events');
  const troupeSamples: number[] = [];
  const rawSamples: number[] = [];
  for (let i = 0; i < SIZES.latencySamples; i++) {
    const { ref, ms } = await spawnRecovered(system, small, `small-${i}`);
    troupeSamples.push(ms);
    system.stop(ref);
    const r0 = performance.now();
    await reader.readAll(smallTopic);
    rawSamples.push(performance.now() - r0);
  }
  const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  record('recovery latency, 10 events (p50)', p50(troupeSamples), p50(rawSamples), 'ms', false, `${SIZES.latencySamples} recoveries; actor spawn to recovery completed vs the raw read alone`);
  await system.terminate();

  // Failover: the id recovered by a journal instance that never saw it (another node).
  let freshMs = Infinity;
  for (let attempt = 0; attempt < ROUNDS; attempt++) {
    const other = newSystem(`bench-failover-${attempt}`);
    await spawnRecovered(other, 'warm-up', 'warm-up');
    const { ms } = await spawnRecovered(other, persistenceId, 'big');
    freshMs = Math.min(freshMs, ms);
    await other.terminate();
  }
  record(
    `recovery of ${n} events, fresh journal`,
    (n / freshMs) * 1000,
    (n / rawMs) * 1000,
    'events/s',
    true,
    `as above, each run in a new actor system whose journal instance never saw the id (a failover); best of ${ROUNDS}`,
  );

  // Recovery from a snapshot: only the last 10 events are replayed (journal level:
  // claim, highest number and replay, as the runtime calls them).
  const tail = 10;
  const fromSeq = n - tail + 1;
  const snapshotRecovery = async (journal: KafkaJournal, writer: string): Promise<number> => {
    const t0 = performance.now();
    await journal.claimWriter?.(persistenceId, writer);
    const highest = await journal.readHighestSequenceNr(persistenceId, fromSeq);
    let count = 0;
    for await (const page of journal.replayMessages(persistenceId, { fromSequenceNr: fromSeq, toSequenceNr: highest, max: Infinity })) count += page.length;
    if (count !== tail) throw new Error(`snapshot recovery replayed ${count} of ${tail} events`);
    return performance.now() - t0;
  };
  const warm = await KafkaJournal.connect({ brokers, journalTopicPrefix: journalPrefix, eventTopicMapper: EmptyEventTopicMapper });
  await warm.readHighestSequenceNr('warm-up', 1);
  const freshSamples: number[] = [];
  const warmSamples: number[] = [];
  const rawTailSamples: number[] = [];
  for (let attempt = 0; attempt < ROUNDS * 3; attempt++) {
    const fresh = await KafkaJournal.connect({ brokers, journalTopicPrefix: journalPrefix, eventTopicMapper: EmptyEventTopicMapper });
    await fresh.readHighestSequenceNr('warm-up', 1);
    freshSamples.push(await snapshotRecovery(fresh, `fresh-${attempt}`));
    await fresh.close();
    warmSamples.push(await snapshotRecovery(warm, `warm-${attempt}`));
    const r0 = performance.now();
    await reader.readAll(topic, BigInt(n - tail), true);
    rawTailSamples.push(performance.now() - r0);
  }
  await warm.close();
  record(
    `snapshot recovery, last ${tail} of ${n}, fresh journal (p50)`,
    p50(freshSamples),
    p50(rawTailSamples),
    'ms',
    false,
    `${freshSamples.length} runs; claimWriter + readHighestSequenceNr + replay of the last ${tail} events by a journal instance that never saw the id, vs a raw read of those ${tail} records`,
  );
  record(
    `snapshot recovery, last ${tail} of ${n}, same journal (p50)`,
    p50(warmSamples),
    p50(rawTailSamples),
    'ms',
    false,
    `the same by one journal instance that recovered the id before (a restart on the same node)`,
  );
  await reader.close();
}

/** The compliance kit's performance function (`measureJournalPerformance`) on KafkaJournal. */
async function tckPerformance(): Promise<Record<string, number>> {
  const journal = await KafkaJournal.connect({ brokers, journalTopicPrefix: journalPrefix, eventTopicMapper: EmptyEventTopicMapper });
  try {
    const events = quick ? 500 : 3000;
    const one = await measureJournalPerformance(journal, { events, persistenceId: 'tck-perf-1' });
    const batched = await measureJournalPerformance(journal, { events: events * 10, eventsPerWrite: 100, persistenceId: 'tck-perf-100' });
    const figures = {
      'write, 1 event per write (events/s)': Math.round(one.writeEventsPerSec),
      'replay after it (events/s)': Math.round(one.replayEventsPerSec),
      'write, 100 events per write (events/s)': Math.round(batched.writeEventsPerSec),
      'replay after it (events/s) ': Math.round(batched.replayEventsPerSec),
    };
    for (const [name, value] of Object.entries(figures)) console.log(`measureJournalPerformance: ${name.trim()} ${value}`);
    return figures;
  } finally {
    await journal.close();
  }
}

const admin = new Admin({ clientId: 'bench-journal-admin', bootstrapBrokers: brokers, metadataMaxAge: 300_000 });
try {
  await writeOneActor(admin);
  await writeManyActors(admin);
  await recovery(admin);
  const tck = await tckPerformance();
  const line = { bench: 'kafka-journal', date: new Date().toISOString(), node: process.version, brokers, sizes: SIZES, results, tck };
  console.log(JSON.stringify(line));
  if (!quick) writeFileSync(new URL('../../results/kafka.json', import.meta.url), `${JSON.stringify(line, null, 2)}\n`);
} finally {
  const ours = (await admin.listTopics()).filter((t) => t.startsWith(run));
  await deleteTopics(admin, ours);
  await admin.close();
}
