/**
 * Child process of crash.test.ts: persists events through persistent actors on the
 * embedded SQLite journal and prints `ack <persistenceId> <sequenceNr>` for each
 * acknowledged event, until it is killed. stdout to a pipe is synchronous on Linux,
 * so every printed acknowledgement reaches the parent even across SIGKILL.
 *
 * Usage: node crash-writer.ts <journal-file> <actors>
 * Written with erasable TypeScript syntax only, so Node runs it directly.
 */
import { ActorSystem, silentLogger } from '@troupe/core';
import { Persistence, PersistentActor, SqliteJournal } from '@troupe/persistence';

type Command = { type: 'go' };
type Event = { type: 'written'; seq: number };

class Writer extends PersistentActor<Command, Event> {
  readonly persistenceId: string;
  private count = 0;

  constructor(persistenceId: string) {
    super();
    this.persistenceId = persistenceId;
  }

  applyEvent(): void {
    this.count++;
  }

  async receiveCommand(): Promise<void> {
    for (;;) {
      // Alternate single events and atomic pairs, so both paths are crash-tested.
      const next = this.lastSequenceNr + 1;
      if (next % 3 === 0)
        await this.persistAll([
          { type: 'written', seq: next },
          { type: 'written', seq: next + 1 },
        ]);
      else await this.persist({ type: 'written', seq: next });
      for (let seq = next; seq <= this.lastSequenceNr; seq++) process.stdout.write(`ack ${this.persistenceId} ${seq}\n`);
    }
  }
}

const [path, actors] = process.argv.slice(2);
if (path === undefined || actors === undefined) throw new TypeError('usage: crash-writer.ts <journal-file> <actors>');
const system = ActorSystem.create({ name: 'crash-writer', logger: silentLogger });
Persistence.configure(system, { journals: { default: new SqliteJournal({ path }) } });
for (let i = 0; i < Number(actors); i++) system.spawn(() => new Writer(`writer-${i}`), { name: `writer-${i}` }).tell({ type: 'go' });
process.stdout.write('started\n');
