import { type ActorRef, ActorSystem, REF_JSON_KEY, silentLogger } from '@troupe/core';
import { TestProbe } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryJournal, InMemorySnapshotStore, Persistence, PersistentActor } from '../src/index.js';

type Carried = { type: 'carried'; value: unknown };
type Command = { type: 'store'; value: unknown; done: ActorRef<'stored'> } | { type: 'replayed'; replyTo: ActorRef<unknown[]> };

/** Persists whatever it is given and reports what recovery replayed. */
class Keeper extends PersistentActor<Command, Carried> {
  private readonly replayed: unknown[] = [];
  constructor(readonly persistenceId: string) {
    super();
  }
  applyEvent(event: Carried): void {
    if (this.recoveryRunning) this.replayed.push(event.value);
  }
  async receiveCommand(command: Command): Promise<void> {
    if (command.type === 'replayed') return command.replyTo.tell(this.replayed);
    await this.persist({ type: 'carried', value: command.value });
    command.done.tell('stored');
  }
}

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.terminate();
});

describe('refs inside JSON events', () => {
  it('replays an event written with the old { "$ref": path } marker, and one written with the new marker, as the plain objects stored', async () => {
    system = ActorSystem.create({ name: 'refs-in-events', logger: silentLogger });
    const journal = new InMemoryJournal();
    Persistence.configure(system, { journals: { default: journal }, snapshotStores: { default: new InMemorySnapshotStore() } });
    const done = TestProbe.create<'stored'>(system);
    const first = system.spawn(() => new Keeper('keeper-1'), { name: 'first' });
    // Bytes identical to what a release that wrote refs as { "$ref": path } stored.
    const legacy = { by: { $ref: `${system.address}/user/old` } };
    first.tell({ type: 'store', value: legacy, done: done.ref });
    await done.expectMessage('stored');
    first.tell({ type: 'store', value: { by: done.ref }, done: done.ref });
    await done.expectMessage('stored');
    await done.expectTerminated((system.stop(first), first));

    const second = system.spawn(() => new Keeper('keeper-1'), { name: 'second' });
    const replies = TestProbe.create<unknown[]>(system);
    second.tell({ type: 'replayed', replyTo: replies.ref });
    expect(await replies.expectMessage()).toEqual([legacy, { by: { [REF_JSON_KEY]: done.ref.path } }]);
  });
});
