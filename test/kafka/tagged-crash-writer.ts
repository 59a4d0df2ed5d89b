/**
 * Child process of kafka-tag-crash.test.ts: persistent actors on the Kafka journal persist
 * tagged events (every third one untagged) as fast as they can and print
 * `ack <persistenceId> <sequenceNr>` for each acknowledged tagged event, until killed.
 * stdout to a pipe is synchronous on Linux, so every printed acknowledgement reaches the
 * parent even across SIGKILL. Each start recovers every actor (claim, highest number,
 * replay): that is where a recovery indexes the write a killed writer left unindexed.
 *
 * Usage: node tagged-crash-writer.ts <broker> <topic-prefix> <tag> <actors> [transactional-id-prefix]
 * It prints `connecting` before it connects the journal (where a stable transactional id
 * fences a predecessor) and `started` once the actors are spawned.
 * Written with erasable TypeScript syntax only, so Node runs it directly.
 */
import { ActorSystem, silentLogger } from '@troupe/core';
import { Persistence, PersistentActor } from '@troupe/persistence';
import { EmptyEventTopicMapper, KafkaJournal } from '@troupe/persistence-kafka';

type Command = { type: 'go' };
type Event = { type: 'written'; seq: number };

const [broker, prefix, tag, actors, transactionalIdPrefix] = process.argv.slice(2);
if (broker === undefined || prefix === undefined || tag === undefined || actors === undefined) throw new TypeError('usage: tagged-crash-writer.ts <broker> <topic-prefix> <tag> <actors>');

class Writer extends PersistentActor<Command, Event> {
  readonly persistenceId: string;

  constructor(persistenceId: string) {
    super();
    this.persistenceId = persistenceId;
  }

  applyEvent(): void {}

  override tagsFor(event: Event): readonly string[] {
    return event.seq % 3 === 0 ? [] : [tag as string];
  }

  async receiveCommand(): Promise<void> {
    for (;;) {
      // Single events and atomic pairs, so both are crash-tested.
      const next = this.lastSequenceNr + 1;
      if (next % 4 === 0)
        await this.persistAll([
          { type: 'written', seq: next },
          { type: 'written', seq: next + 1 },
        ]);
      else await this.persist({ type: 'written', seq: next });
      for (let seq = next; seq <= this.lastSequenceNr; seq++) if (seq % 3 !== 0) process.stdout.write(`ack ${this.persistenceId} ${seq}\n`);
    }
  }
}

process.stdout.write('connecting\n');
const journal = await KafkaJournal.connect({
  brokers: [broker],
  journalTopicPrefix: `${prefix}j-`,
  tagTopicPrefix: `${prefix}t-`,
  persistenceIdsTopic: `${prefix}ids`,
  eventTopicMapper: EmptyEventTopicMapper,
  ...(transactionalIdPrefix !== undefined ? { transactionalIdPrefix } : {}),
});
const system = ActorSystem.create({ name: 'tagged-crash-writer', logger: silentLogger });
Persistence.configure(system, { journals: { default: journal } });
for (let i = 0; i < Number(actors); i++) system.spawn(() => new Writer(`writer-${i}`), { name: `writer-${i}` }).tell({ type: 'go' });
process.stdout.write('started\n');
