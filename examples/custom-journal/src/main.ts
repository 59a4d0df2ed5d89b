/**
 * A bank account as a persistent actor on a home-made journal (JSON-lines file) and
 * snapshot store (one JSON file), registered by name like any third-party plugin.
 * Run it twice: the second run recovers the balance from the first.
 *
 *   npm start                     data in .troupe-data/custom-journal
 *   npm start -- /tmp/somewhere   data elsewhere
 */
import { join } from 'node:path';
import { type ActorRef, ActorSystem, SupervisorStrategy } from '@troupe/core';
import { JournalRejectedError, Persistence, PersistencePlugins, PersistentActor, type SnapshotMetadata } from '@troupe/persistence';
import { JsonFileSnapshotStore } from './json-file-snapshot-store.js';
import { JsonLinesJournal } from './json-lines-journal.js';

type Reply = { readonly ok: boolean; readonly balance: number; readonly seq: number; readonly error?: string };
type Command =
  | { readonly type: 'deposit'; readonly amount: number; readonly replyTo: ActorRef<Reply> }
  | { readonly type: 'withdraw'; readonly amount: number; readonly replyTo: ActorRef<Reply> }
  | { readonly type: 'balance'; readonly replyTo: ActorRef<Reply> };
type Event = { readonly type: 'deposited'; readonly amount: number } | { readonly type: 'withdrawn'; readonly amount: number };

/** An account: commands are validated, accepted changes are stored as events. */
class Account extends PersistentActor<Command, Event, number> {
  override readonly snapshotEvery = 5;
  private balance = 0;

  constructor(readonly persistenceId: string) {
    super();
  }

  applyEvent(event: Event): void {
    this.balance += event.type === 'deposited' ? event.amount : -event.amount;
  }

  override applySnapshot(balance: number, _metadata: SnapshotMetadata): void {
    this.balance = balance;
  }

  override snapshotState(): number {
    return this.balance;
  }

  async receiveCommand(command: Command): Promise<void> {
    if (command.type === 'balance') return command.replyTo.tell(this.reply(true));
    if (command.type === 'withdraw' && command.amount > this.balance) return command.replyTo.tell(this.reply(false, 'insufficient funds'));
    try {
      await this.persist(command.type === 'deposit' ? { type: 'deposited', amount: command.amount } : { type: 'withdrawn', amount: command.amount });
      command.replyTo.tell(this.reply(true));
    } catch (error) {
      command.replyTo.tell(this.reply(false, (error as Error).message));
      if (!(error instanceof JournalRejectedError)) throw error; // a failed write restarts the actor
    }
  }

  private reply(ok: boolean, error?: string): Reply {
    return error === undefined ? { ok, balance: this.balance, seq: this.lastSequenceNr } : { ok, balance: this.balance, seq: this.lastSequenceNr, error };
  }
}

// A plugin package would do this on import; the settings then name it.
PersistencePlugins.registerJournal('json-lines', (options) => new JsonLinesJournal(options as { path: string }));
PersistencePlugins.registerSnapshotStore('json-file', (options) => new JsonFileSnapshotStore((options as { path: string }).path));

const dataDir = process.argv[2] ?? '.troupe-data/custom-journal';
const system = ActorSystem.create({ name: 'bank' });
Persistence.configure(system, {
  journals: { default: { plugin: 'json-lines', options: { path: join(dataDir, 'journal.jsonl') } } },
  snapshotStores: { default: { plugin: 'json-file', options: { path: join(dataDir, 'snapshots.json') } } },
});

const account = system.spawn(() => new Account('account-42'), {
  name: 'account-42',
  supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 200, maxBackoffMs: 10_000 }),
});
const ask = (build: (replyTo: ActorRef<Reply>) => Command): Promise<Reply> => account.ask<Reply>(build);

const before = await ask((replyTo) => ({ type: 'balance', replyTo }));
console.log(`recovered: balance ${before.balance} after ${before.seq} events`);
for (const amount of [100, 250, 40]) {
  const reply = await ask((replyTo) => ({ type: 'deposit', amount, replyTo }));
  console.log(`deposit ${amount}: balance ${reply.balance} (event ${reply.seq})`);
}
const refused = await ask((replyTo) => ({ type: 'withdraw', amount: 1_000_000, replyTo }));
console.log(`withdraw 1000000: ${refused.ok ? 'ok' : `refused (${refused.error})`}`);
const after = await ask((replyTo) => ({ type: 'withdraw', amount: 90, replyTo }));
console.log(`withdraw 90: balance ${after.balance} (event ${after.seq})`);
await system.terminate();
console.log('stopped; run again to see the balance recovered');
