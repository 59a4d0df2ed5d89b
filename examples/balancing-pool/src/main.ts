/**
 * Balancing pool: the "Kafka publisher" pattern. A producer hands records to a pool
 * of publishers that share one queue; a publisher takes the next record only when
 * its previous send has completed, so slow publishers (a slow broker, a congested
 * link) take fewer records instead of building a backlog.
 *
 * The sink is simulated: a publisher's send is a real timer of its latency.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Actor, type ActorRef, ActorSystem, Routers, spawnRouter } from '@troupe/core';

const RECORDS = 200;

/** The publishers and the latency of their simulated sends: two fast, two slow. */
const PUBLISHERS = [
  { name: 'publisher-1', latencyMs: 5 },
  { name: 'publisher-2', latencyMs: 5 },
  { name: 'publisher-3', latencyMs: 20 },
  { name: 'publisher-4', latencyMs: 40 },
] as const;

type PublisherProfile = (typeof PUBLISHERS)[number];

type ProducerRecord = { readonly type: 'record'; readonly id: number; readonly key: string; readonly value: string };

/** Per-publisher result and the exactly-once check, computed by the topic. */
type TopicSummary = {
  readonly distinct: number;
  readonly duplicates: number;
  readonly perPublisher: ReadonlyMap<string, number>;
  /** Sum of every send's latency: what one publisher, sending one record at a time, would have taken. */
  readonly sequentialMs: number;
};

type TopicMessage =
  | { readonly type: 'connected'; readonly publisher: string }
  | { readonly type: 'when-connected'; readonly publishers: number; readonly replyTo: ActorRef<number> }
  | { readonly type: 'append'; readonly record: ProducerRecord; readonly publisher: string; readonly latencyMs: number }
  | { readonly type: 'when-complete'; readonly records: number; readonly replyTo: ActorRef<TopicSummary> };

/** The simulated Kafka topic: stores what publishers append and checks that each record arrives once. */
class SimulatedTopic extends Actor<TopicMessage> {
  private readonly connected = new Set<string>();
  private readonly appended = new Set<number>();
  private readonly perPublisher = new Map<string, number>();
  private duplicates = 0;
  private sequentialMs = 0;
  private connectedWaiter: Extract<TopicMessage, { type: 'when-connected' }> | undefined;
  private completeWaiter: Extract<TopicMessage, { type: 'when-complete' }> | undefined;

  receive(message: TopicMessage): void {
    switch (message.type) {
      case 'connected':
        this.connected.add(message.publisher);
        break;
      case 'when-connected':
        this.connectedWaiter = message;
        break;
      case 'append':
        if (this.appended.has(message.record.id)) this.duplicates++;
        this.appended.add(message.record.id);
        this.perPublisher.set(message.publisher, (this.perPublisher.get(message.publisher) ?? 0) + 1);
        this.sequentialMs += message.latencyMs;
        break;
      case 'when-complete':
        this.completeWaiter = message;
        break;
    }
    this.answerWaiters();
  }

  private answerWaiters(): void {
    if (this.connectedWaiter !== undefined && this.connected.size >= this.connectedWaiter.publishers) {
      this.connectedWaiter.replyTo.tell(this.connected.size);
      this.connectedWaiter = undefined;
    }
    if (this.completeWaiter !== undefined && this.appended.size >= this.completeWaiter.records) {
      this.completeWaiter.replyTo.tell({ distinct: this.appended.size, duplicates: this.duplicates, perPublisher: new Map(this.perPublisher), sequentialMs: this.sequentialMs });
      this.completeWaiter = undefined;
    }
  }
}

/** Sends one record at a time; the pool gives it the next one only when this send has completed. */
class Publisher extends Actor<ProducerRecord> {
  constructor(
    private readonly profile: PublisherProfile,
    private readonly topic: ActorRef<TopicMessage>,
  ) {
    super();
  }

  /** A real publisher would connect its Kafka producer here. */
  override async preStart(): Promise<void> {
    await sleep(10);
    this.topic.tell({ type: 'connected', publisher: this.profile.name });
  }

  /** Returning the Promise keeps this routee busy until the send completes. */
  async receive(record: ProducerRecord): Promise<void> {
    await sleep(this.profile.latencyMs);
    this.topic.tell({ type: 'append', record, publisher: this.profile.name, latencyMs: this.profile.latencyMs });
  }
}

const system = ActorSystem.create({ name: 'balancing-pool' });
const topic = system.spawn(() => new SimulatedTopic(), { name: 'topic' });

// The pool calls the factory once per routee; each call takes the next profile.
// (A restarted routee would take the next one round: fine for a simulation.)
let nextProfile = 0;
const publishers = spawnRouter(
  system,
  Routers.balancingPool<ProducerRecord>({
    size: PUBLISHERS.length,
    routee: () => new Publisher(PUBLISHERS[nextProfile++ % PUBLISHERS.length] as PublisherProfile, topic),
  }),
  { name: 'publishers' },
);

console.log(`Troupe balancing pool: ${RECORDS} records through ${PUBLISHERS.length} publishers that share one queue`);
console.log();

// Wait until every publisher has connected, so the clock below measures publishing only.
await topic.ask<number>((replyTo) => ({ type: 'when-connected', publishers: PUBLISHERS.length, replyTo }));

const startedAt = performance.now();
for (let id = 1; id <= RECORDS; id++) {
  publishers.tell({ type: 'record', id, key: `customer-${id % 17}`, value: `order #${id}` });
}
const summary = await topic.ask<TopicSummary>((replyTo) => ({ type: 'when-complete', records: RECORDS, replyTo }), { timeoutMs: 10_000 });
const elapsedMs = performance.now() - startedAt;

console.log('publisher      latency   records');
for (const { name, latencyMs } of PUBLISHERS) {
  const records = summary.perPublisher.get(name) ?? 0;
  console.log(`${name.padEnd(14)} ${`${latencyMs} ms`.padStart(7)}   ${String(records).padStart(7)}  ${'█'.repeat(Math.round(records / 4))}`);
}
console.log(`${'total'.padEnd(24)} ${String(summary.distinct + summary.duplicates).padStart(7)}`);
console.log('(a publisher takes the next record only when its last send has completed, so slow ones take fewer)');
console.log();

// What a round-robin pool would take: every publisher gets the same share, so the
// slowest one sets the pace.
const share = Math.ceil(RECORDS / PUBLISHERS.length);
const roundRobinMs = Math.max(...PUBLISHERS.map((p) => share * p.latencyMs));
console.log(`time: ${count(elapsedMs)} ms with the balancing pool`);
console.log(`      ${count(summary.sequentialMs)} ms sequentially (the sum of every send's latency, ${(summary.sequentialMs / elapsedMs).toFixed(1)}× longer)`);
console.log(`      ~${count(roundRobinMs)} ms for a round-robin pool (${share} records each; the slowest publisher sets the pace)`);
console.log();

await system.terminate();
const missing = RECORDS - summary.distinct;
console.log(`exactly once: ${summary.distinct} of ${RECORDS} records published, ${summary.duplicates} duplicates, ${missing} missing; dead letters: ${system.deadLetterCount}`);
if (missing !== 0 || summary.duplicates !== 0 || system.deadLetterCount !== 0) process.exitCode = 1;

function count(ms: number): string {
  return Math.round(ms).toLocaleString('en-US');
}
