import { type ActorRef, ActorSystem, type Logger, SupervisorStrategy, silentLogger } from '@troupe/core';
import { TestProbe } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryJournal, InMemorySnapshotStore, JournalRejectedError, Persistence, PersistentActor } from '../src/index.js';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

function setup(logger: Logger = silentLogger): void {
  system = ActorSystem.create({ name: 'hooks-test', logger });
  Persistence.configure(system, { journals: { default: new InMemoryJournal() }, snapshotStores: { default: new InMemorySnapshotStore() } });
}

type State = { readonly total: number; readonly seq: number; readonly instance: number };
type Rethrow = 'same' | 'copy' | 'wrapped';
type Cmd = { type: 'add'; n: number; replyTo: ActorRef<State> } | { type: 'get'; replyTo: ActorRef<State> } | { type: 'boom' } | { type: 'reject'; rethrow: Rethrow; replyTo: ActorRef<string> };
type Evt = { n: number; big?: bigint };

let instances = 0;

/** Sums persisted numbers; `instance` tells whether a restart built a new instance. */
class Tally extends PersistentActor<Cmd, Evt> {
  readonly instance = ++instances;
  total = 0;

  constructor(
    readonly persistenceId: string,
    protected readonly notes: ActorRef<string>,
  ) {
    super();
  }

  applyEvent(event: Evt): void {
    this.total += event.n;
  }

  async receiveCommand(command: Cmd): Promise<void> {
    switch (command.type) {
      case 'add':
        await this.persist({ n: command.n });
        return this.get(command.replyTo);
      case 'get':
        return this.get(command.replyTo);
      case 'boom':
        throw new Error('boom');
      case 'reject':
        try {
          await this.persist({ n: 1, big: 1n }); // the JSON serializer refuses a bigint: a rejection
        } catch (error) {
          if (!(error instanceof JournalRejectedError)) throw error;
          command.replyTo.tell(error.code);
          if (command.rethrow === 'same') throw error;
          if (command.rethrow === 'copy') throw new JournalRejectedError(this.persistenceId, error.cause);
          throw new Error('could not store it', { cause: error });
        }
    }
  }

  private get(replyTo: ActorRef<State>): void {
    replyTo.tell({ total: this.total, seq: this.lastSequenceNr, instance: this.instance });
  }
}

/** Overrides preStart without calling super.preStart(). */
class ForgetfulStart extends Tally {
  override preStart(): void {
    this.notes.tell(`preStart saw ${this.total}`);
  }
}

/** Overrides postRestart without calling preStart (nor super.postRestart()). */
class ForgetfulRestart extends Tally {
  override postRestart(): void {
    this.notes.tell(`postRestart saw ${this.total}`);
  }
}

const restarting = { supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 5, maxBackoffMs: 20, randomFactor: 0 }) };

async function seed(pid: string, numbers: readonly number[]): Promise<void> {
  const notes = TestProbe.create<string>(system);
  const probe = TestProbe.create<State>(system);
  const first = system.spawn(() => new Tally(pid, notes.ref), { name: `${pid}-seed` });
  for (const n of numbers) first.tell({ type: 'add', n, replyTo: probe.ref });
  await probe.receiveN(numbers.length);
  system.stop(first);
  await probe.expectTerminated(first);
}

describe('PersistentActor recovery and user hooks', () => {
  it('recovers before preStart runs, even when preStart is overridden without calling super.preStart()', async () => {
    setup();
    await seed('forgetful-start', [1, 2, 3]);
    const notes = TestProbe.create<string>(system);
    const probe = TestProbe.create<State>(system);
    const actor = system.spawn(() => new ForgetfulStart('forgetful-start', notes.ref), { name: 'forgetful-start', ...restarting });
    await notes.expectMessage('preStart saw 6');
    actor.tell({ type: 'add', n: 4, replyTo: probe.ref });
    expect(await probe.expectMessage()).toMatchObject({ total: 10, seq: 4 });
  });

  it('recovers a restarted instance before postRestart runs, even when postRestart is overridden without calling preStart', async () => {
    setup();
    await seed('forgetful-restart', [5, 6]);
    const notes = TestProbe.create<string>(system);
    const probe = TestProbe.create<State>(system);
    const actor = system.spawn(() => new ForgetfulRestart('forgetful-restart', notes.ref), { name: 'forgetful-restart', ...restarting });
    actor.tell({ type: 'get', replyTo: probe.ref });
    const before = await probe.expectMessage();
    expect(before).toMatchObject({ total: 11, seq: 2 });
    actor.tell({ type: 'boom' });
    await notes.expectMessage('postRestart saw 11');
    actor.tell({ type: 'add', n: 1, replyTo: probe.ref });
    const after = await probe.expectMessage();
    expect(after).toMatchObject({ total: 12, seq: 3 });
    expect(after.instance).not.toBe(before.instance);
  });
});

describe('PersistentActor rejected writes rethrown by the handler', () => {
  async function rejectAndGet(rethrow: Rethrow): Promise<{ before: State; after: State }> {
    setup();
    const notes = TestProbe.create<string>(system);
    const probe = TestProbe.create<State>(system);
    const codes = TestProbe.create<string>(system);
    const actor = system.spawn(() => new Tally(`rethrow-${rethrow}`, notes.ref), { name: `rethrow-${rethrow}`, ...restarting });
    actor.tell({ type: 'add', n: 2, replyTo: probe.ref });
    const before = await probe.expectMessage();
    actor.tell({ type: 'reject', rethrow, replyTo: codes.ref });
    await codes.expectMessage('ERR_JOURNAL_REJECTED');
    actor.tell({ type: 'get', replyTo: probe.ref });
    return { before, after: await probe.expectMessage() };
  }

  it('keeps the actor running when the handler rethrows the rejection persist gave it', async () => {
    const { before, after } = await rejectAndGet('same');
    expect(after).toEqual({ total: 2, seq: 1, instance: before.instance });
  });

  it('keeps the actor running when the handler throws another JournalRejectedError: the rule is the error class, not its identity', async () => {
    const { before, after } = await rejectAndGet('copy');
    expect(after).toEqual({ total: 2, seq: 1, instance: before.instance });
  });

  it('restarts the actor when the handler throws an error of its own, even one caused by a rejection', async () => {
    const { before, after } = await rejectAndGet('wrapped');
    expect(after).toMatchObject({ total: 2, seq: 1 });
    expect(after.instance).not.toBe(before.instance);
  });
});

describe('Persistence defaults', () => {
  it('warns once per system, naming the folder, when it falls back to the embedded SQLite files', () => {
    const lines: { level: string; message: string }[] = [];
    const record =
      (level: string) =>
      (message: string): void => {
        lines.push({ level, message });
      };
    system = ActorSystem.create({ name: 'unconfigured', logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') } });
    Persistence.get(system);
    Persistence.get(system);
    const about = lines.filter((line) => line.message.includes('not configured'));
    expect(about).toHaveLength(1);
    expect(about[0]?.level).toBe('warn');
    expect(about[0]?.message).toContain(`${process.cwd()}/.troupe-data`);
    expect(about[0]?.message).toContain('Persistence.configure');
  });
});
