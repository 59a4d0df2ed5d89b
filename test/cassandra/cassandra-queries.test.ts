/**
 * Persistence queries on the Cassandra journal end to end: persistent actors tag their
 * events, and `PersistenceQuery` live streams on another actor system (its own journal
 * instance, as another node) and on the writing one follow them, resume from a stored
 * offset, and list new persistence ids.
 */
import { randomUUID } from 'node:crypto';
import { type ActorRef, ActorSystem, silentLogger, SupervisorStrategy } from '@troupe/core';
import { type EventEnvelope, Persistence, PersistenceQuery, PersistentActor } from '@troupe/persistence';
import { CassandraJournal, CassandraWriteRejectedError } from '@troupe/persistence-cassandra';
import { awaitCondition } from '@troupe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASSANDRA_LOCAL_DATA_CENTER, cassandraAvailable, cassandraContactPoints } from '../setup/services-env.js';
import { dropKeyspaces, testClient, uniqueKeyspace } from './cassandra-fixtures.js';
import { holdCassandraShared } from './cassandra-lock.js';

const keyspace = uniqueKeyspace('queries');
let release: (() => void) | undefined;
beforeAll(async () => {
  if (cassandraAvailable()) release = await holdCassandraShared('queries');
}, 300_000);
afterAll(async () => {
  try {
    if (cassandraAvailable()) await dropKeyspaces(testClient(), keyspace);
  } finally {
    release?.();
  }
});

type Deposit = { cents: number; replyTo: ActorRef<number> };
type Deposited = { cents: number };

/** An account whose deposits are tagged with its branch. */
class Account extends PersistentActor<Deposit, Deposited> {
  balance = 0;
  constructor(
    readonly persistenceId: string,
    private readonly branch: string,
  ) {
    super();
  }
  applyEvent(event: Deposited): void {
    this.balance += event.cents;
  }
  override tagsFor(): readonly string[] {
    return [this.branch];
  }
  async receiveCommand(command: Deposit): Promise<void> {
    await this.persist({ cents: command.cents });
    command.replyTo.tell(this.balance);
  }
}

const connect = (tagBlockSize?: number): Promise<CassandraJournal> =>
  CassandraJournal.connect({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, keyspace, ...(tagBlockSize === undefined ? {} : { tagBlockSize }) });

/** Collects a live stream in the background until `signal` aborts. */
function follow<T>(stream: AsyncIterable<T>): { items: T[]; done: Promise<void> } {
  const items: T[] = [];
  const done = (async () => {
    for await (const item of stream) items.push(item);
  })();
  return { items, done };
}

describe.skipIf(!cassandraAvailable())('PersistenceQuery on CassandraJournal', () => {
  it('follows tagged events of persistent actors live on another node and on the writing one, and resumes from a stored offset', async () => {
    const branch = `branch-${randomUUID()}`;
    const writerSystem = ActorSystem.create({ name: 'queries-writer', logger: silentLogger });
    const readerSystem = ActorSystem.create({ name: 'queries-reader', logger: silentLogger });
    const controller = new AbortController();
    try {
      Persistence.configure(writerSystem, { journals: { default: await connect() } });
      Persistence.configure(readerSystem, { journals: { default: await connect() } });
      // The other node polls (it cannot hear the writer's journal instance); the writing node wakes on subscribe.
      const remote = follow((await PersistenceQuery.readJournalFor<Deposited>(readerSystem, undefined, { refreshIntervalMs: 100 })).eventsByTag(branch, 0, { signal: controller.signal }));
      const local = follow((await PersistenceQuery.readJournalFor<Deposited>(writerSystem, undefined, { refreshIntervalMs: 60_000 })).eventsByTag(branch, 0, { signal: controller.signal }));
      const ids = [`acct-${randomUUID()}`, `acct-${randomUUID()}`, `acct-${randomUUID()}`];
      const accounts = ids.map((id, i) => writerSystem.spawn(() => new Account(id, branch), { name: `account-${i}`, supervision: SupervisorStrategy.stopping }));
      for (let round = 1; round <= 4; round++) {
        await Promise.all(accounts.map((account, i) => account.ask<number>((replyTo) => ({ cents: 100 * round + i, replyTo }))));
      }
      const expected = ids.flatMap((id) => [1, 2, 3, 4].map((seq) => `${id}:${seq}`)).sort();
      const keys = (envelopes: readonly EventEnvelope<Deposited>[]): string[] => envelopes.map((e) => `${e.persistenceId}:${e.sequenceNr}`);
      await awaitCondition(() => remote.items.length >= expected.length && local.items.length >= expected.length, { timeoutMs: 20_000, message: 'both live queries saw the 12 deposits' });
      for (const stream of [remote, local]) {
        expect([...keys(stream.items)].sort()).toEqual(expected);
        for (const id of ids) {
          expect(stream.items.filter((e) => e.persistenceId === id).map((e) => e.event.cents)).toEqual([1, 2, 3, 4].map((round) => 100 * round + ids.indexOf(id)));
        }
        expect(stream.items.every((e) => e.tags.includes(branch))).toBe(true);
      }
      // Stop after the eighth envelope, as a projection that stored that offset; resume there later.
      const stored = (remote.items[7] as EventEnvelope<Deposited>).offset;
      await Promise.all(accounts.map((account) => account.ask<number>((replyTo) => ({ cents: 1, replyTo }))));
      const resumed: EventEnvelope<Deposited>[] = [];
      for await (const envelope of (await PersistenceQuery.readJournalFor<Deposited>(readerSystem)).currentEventsByTag(branch, stored)) resumed.push(envelope);
      expect(keys(resumed), 'the resumed query starts right after the stored offset').toEqual([...keys(remote.items.slice(8, 12)), ...keys(resumed.slice(4))]);
      expect([...keys(resumed.slice(4))].sort()).toEqual(ids.map((id) => `${id}:5`).sort());
    } finally {
      controller.abort();
      await writerSystem.terminate();
      await readerSystem.terminate();
    }
  }, 120_000);

  it('lists persistence ids live as their first events are stored, each once', async () => {
    const writerSystem = ActorSystem.create({ name: 'ids-writer', logger: silentLogger });
    const readerSystem = ActorSystem.create({ name: 'ids-reader', logger: silentLogger });
    const controller = new AbortController();
    try {
      Persistence.configure(writerSystem, { journals: { default: await connect() } });
      Persistence.configure(readerSystem, { journals: { default: await connect() } });
      const listed = follow((await PersistenceQuery.readJournalFor(readerSystem, undefined, { refreshIntervalMs: 100 })).persistenceIds({ signal: controller.signal }));
      const ids = Array.from({ length: 5 }, () => `ids-${randomUUID()}`);
      const accounts = ids.map((id, i) => writerSystem.spawn(() => new Account(id, 'ids'), { name: `account-${i}`, supervision: SupervisorStrategy.stopping }));
      for (const account of accounts) await account.ask<number>((replyTo) => ({ cents: 1, replyTo }));
      await Promise.all(accounts.map((account) => account.ask<number>((replyTo) => ({ cents: 2, replyTo }))));
      await awaitCondition(() => ids.every((id) => listed.items.includes(id)), { timeoutMs: 20_000, message: 'the five ids listed' });
      expect(
        listed.items.filter((id) => ids.includes(id)),
        'in order of first write, each once',
      ).toEqual(ids);
    } finally {
      controller.abort();
      await writerSystem.terminate();
      await readerSystem.terminate();
    }
  }, 120_000);

  it('rejects an empty tag and more events of one tag in one write than a log block holds, storing nothing', async () => {
    const journal = await connect(3);
    try {
      const id = `rejected-${randomUUID()}`;
      const event = (sequenceNr: number, tags: string[]) => ({
        persistenceId: id,
        sequenceNr,
        payload: new TextEncoder().encode('{}'),
        serializerId: 'json',
        manifest: '',
        eventManifest: '',
        tags,
        timestamp: Date.now(),
        writerUuid: 'w',
      });
      const [empty] = await journal.writeMessages([{ persistenceId: id, events: [event(1, ['ok', ''])] }]);
      expect(empty).toBeInstanceOf(CassandraWriteRejectedError);
      expect((empty as CassandraWriteRejectedError).code).toBe('ERR_CASSANDRA_WRITE_REJECTED');
      expect((empty as Error).message).toBe(`event 1 of "${id}" has an empty tag; tags must be non-empty strings`);
      const [tooMany] = await journal.writeMessages([{ persistenceId: id, events: [1, 2, 3, 4].map((n) => event(n, ['t'])) }]);
      expect((tooMany as Error).message).toBe(`an atomic write for "${id}" has 4 events tagged "t"; tagBlockSize is 3`);
      expect(await journal.readHighestSequenceNr(id, 1)).toBe(0);
      expect(await journal.currentEventsByTag('t', 0, 10)).toEqual([]);
    } finally {
      await journal.close();
    }
  });
});
