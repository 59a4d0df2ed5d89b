/**
 * Event-sourced counters on Kafka whose events feed a live projection.
 *
 *   npm start                 # starts the local Kafka (scripts/services), then runs this
 *   node dist/main.js --keep  # keep the example's topics to look at them with kcat
 *
 * 1. Three `Counter` actors persist `incremented` events to their journal topics
 *    (`example-<run>-journal-counter-<n>`); every event is also published to the event
 *    topic `example-<run>-counter-events`.
 * 2. A projection reads that topic with `eventStream` (a consumer group) and keeps a
 *    total per counter, live, while the counters work.
 * 3. One counter is stopped and started again: it recovers its total from Kafka.
 * 4. The projection's totals match the actors'. Topics are deleted unless `--keep`.
 */
import { Admin } from '@platformatic/kafka';
import { type ActorRef, ActorSystem, silentLogger } from '@troupe/core';
import { Persistence, PersistentActor } from '@troupe/persistence';
import { type KafkaEventEnvelope, eventStream, eventTopicMapperTo } from '@troupe/persistence-kafka';

type Command = { readonly type: 'increment'; readonly by: number; readonly replyTo: ActorRef<number> } | { readonly type: 'get'; readonly replyTo: ActorRef<number> };
type Incremented = { readonly type: 'incremented'; readonly by: number };

/** A counter whose state is the sum of its `incremented` events. */
class Counter extends PersistentActor<Command, Incremented> {
  private total = 0;
  constructor(readonly persistenceId: string) {
    super();
  }
  applyEvent(event: Incremented): void {
    this.total += event.by;
  }
  async receiveCommand(command: Command): Promise<void> {
    if (command.type === 'increment') await this.persist({ type: 'incremented', by: command.by });
    command.replyTo.tell(this.total);
  }
}

const brokers = (process.env.TROUPE_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const keep = process.argv.includes('--keep');
const run = Date.now().toString(36);
const prefix = `example-${run}-`;
const eventsTopic = `${prefix}counter-events`;

const system = ActorSystem.create({ name: 'kafka-counter', logger: silentLogger });
Persistence.configure(system, {
  journals: { default: { plugin: 'kafka', options: { brokers, journalTopicPrefix: `${prefix}journal-`, eventTopicMapper: eventTopicMapperTo(eventsTopic) } } },
  snapshotStores: { default: { plugin: 'kafka', options: { brokers, snapshotTopicPrefix: `${prefix}snapshot-` } } },
});

// The projection: totals per counter, built from the event topic only.
const projected = new Map<string, number>();
let projectedEvents = 0;
const stopProjection = new AbortController();
const projection = (async () => {
  for await (const event of eventStream({ brokers, groupId: `${prefix}projection`, topics: [eventsTopic], signal: stopProjection.signal })) {
    const { by } = JSON.parse(Buffer.from(event.payload).toString('utf8')) as Incremented;
    projected.set(event.persistenceId, (projected.get(event.persistenceId) ?? 0) + by);
    projectedEvents++;
    if (projectedEvents <= 3) console.log(`   projection got ${describe(event)}`);
  }
})();

function describe(event: KafkaEventEnvelope): string {
  return `${event.persistenceId}#${event.sequenceNr} from ${event.topic}[${event.partition}]@${event.offset}: ${Buffer.from(event.payload).toString('utf8')}`;
}

const names = ['counter-1', 'counter-2', 'counter-3'];
const spawn = (name: string, incarnation = 0): ActorRef<Command> => system.spawn(() => new Counter(name), { name: `${name}-${incarnation}` });
let counters = names.map((name) => spawn(name));
console.log(`1. three counters persist to Kafka at ${brokers.join(',')} (topics ${prefix}*)`);
let sent = 0;
for (let round = 1; round <= 20; round++) {
  await Promise.all(counters.map((ref, i) => ref.ask<number>((replyTo) => ({ type: 'increment', by: i + 1, replyTo }))));
  sent += counters.length;
}
const totals = await Promise.all(counters.map((ref) => ref.ask<number>((replyTo) => ({ type: 'get', replyTo }))));
console.log(`   ${sent} events stored; totals ${names.map((n, i) => `${n}=${totals[i]}`).join(', ')}`);

console.log('2. counter-2 stops and starts again: it recovers from its journal topic');
system.stop(counters[1]!);
const started = performance.now();
counters = [counters[0]!, spawn('counter-2', 1), counters[2]!];
const recovered = await counters[1]!.ask<number>((replyTo) => ({ type: 'get', replyTo }));
console.log(`   counter-2 recovered total ${recovered} in ${(performance.now() - started).toFixed(1)} ms`);

console.log('3. the projection, fed by the event topic, agrees with the actors');
const deadline = Date.now() + 30_000;
while (projectedEvents < sent && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
const agree = names.every((name, i) => projected.get(name) === totals[i]) && recovered === totals[1];
console.log(`   projection saw ${projectedEvents} events; totals ${names.map((n) => `${n}=${projected.get(n) ?? 0}`).join(', ')} → ${agree ? 'match' : 'MISMATCH'}`);

stopProjection.abort();
await projection;
await system.terminate();
if (!keep) {
  // Clean up what this run created (journal, snapshot and event topics).
  const admin = new Admin({ clientId: 'example-cleanup', bootstrapBrokers: brokers });
  const ours = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  await admin.deleteTopics({ topics: ours });
  await admin.deleteGroups({ groups: [`${prefix}projection`] }).catch(() => undefined);
  await admin.close();
  console.log(`4. deleted ${ours.length} topics and the projection's group (run with --keep to inspect them with kcat)`);
} else {
  console.log(`4. kept the topics; try: kcat -b ${brokers[0]} -C -t ${eventsTopic} -e -f '%k #%h %s\\n'`);
}
process.exitCode = agree ? 0 : 1;
