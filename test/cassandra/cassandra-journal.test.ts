import { ActorSystem, type ActorRef, SupervisorStrategy, silentLogger } from '@troupe/core';
import { type AtomicWrite, Persistence, PersistentActor, type PersistentRepr, type RecoveryError } from '@troupe/persistence';
import { CassandraJournal, CassandraSchemaError, CassandraUnreachableError, CassandraWriteRejectedError } from '@troupe/persistence-cassandra';
import { TestProbe } from '@troupe/testkit';
import type cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASSANDRA_LOCAL_DATA_CENTER, cassandraAvailable, cassandraContactPoints } from '../setup/services-env.js';
import { dropKeyspaces, eventually, testClient, uniqueKeyspace } from './cassandra-fixtures.js';
import { holdCassandraShared } from './cassandra-lock.js';

const keyspace = uniqueKeyspace('journal_it');
const encoder = new TextEncoder();
let client: cassandra.Client;
let pidCounter = 0;
const freshPid = (): string => `pid-${++pidCounter}-${Date.now()}`;

function event(persistenceId: string, sequenceNr: number, tags: string[] = []): PersistentRepr {
  return {
    persistenceId,
    sequenceNr,
    payload: encoder.encode(`${persistenceId}:${sequenceNr}`),
    serializerId: 'json',
    manifest: 'm',
    eventManifest: '',
    tags,
    timestamp: 1_700_000_000_000 + sequenceNr,
    writerUuid: 'w',
  };
}

function write(persistenceId: string, from: number, to: number): AtomicWrite {
  const events: PersistentRepr[] = [];
  for (let seq = from; seq <= to; seq++) events.push(event(persistenceId, seq));
  return { persistenceId, events };
}

async function replayed(journal: CassandraJournal, pid: string, from = 1, to = Infinity, max = Infinity): Promise<number[]> {
  const numbers: number[] = [];
  for await (const page of journal.replayMessages(pid, { fromSequenceNr: from, toSequenceNr: to, max })) numbers.push(...page.map((e) => e.sequenceNr));
  return numbers;
}

/** Which partition each stored event of `pid` is in, read with plain CQL. */
async function partitionsOf(pid: string, partitions: number): Promise<Record<number, number>> {
  const placed: Record<number, number> = {};
  for (let p = 0; p < partitions; p++) {
    const result = await client.execute(`SELECT sequence_nr FROM ${keyspace}.messages WHERE persistence_id = ? AND partition_nr = ?`, [pid, p], { prepare: true });
    // A partition whose rows are all deleted still holds its static columns (a row without sequence_nr).
    for (const row of result.rows) if (row['sequence_nr'] !== null) placed[Number(row['sequence_nr'])] = p;
  }
  return placed;
}

const journalWithPartitionsOf = (size: number, extra: Partial<ConstructorParameters<typeof CassandraJournal>[0]> = {}): CassandraJournal =>
  new CassandraJournal({ client, keyspace, targetPartitionSize: size, replayPageSize: 2, ...extra });

describe.skipIf(!cassandraAvailable())('CassandraJournal', () => {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await holdCassandraShared('journal');
    client = testClient();
    await client.connect();
  });
  afterAll(async () => {
    try {
      await dropKeyspaces(client, keyspace);
    } finally {
      release?.();
    }
  });

  describe('partitions', () => {
    it('moves an atomic write that would cross a partition boundary whole into the next partition', async () => {
      const journal = journalWithPartitionsOf(3);
      const pid = freshPid();
      expect(await journal.writeMessages([write(pid, 1, 2)])).toEqual([undefined]);
      expect(await journal.writeMessages([write(pid, 3, 5)])).toEqual([undefined]); // 3 belongs to partition 0, 5 to partition 1
      expect(await journal.writeMessages([write(pid, 6, 6)])).toEqual([undefined]);
      expect(await journal.writeMessages([write(pid, 7, 9)])).toEqual([undefined]);
      expect(await partitionsOf(pid, 4)).toEqual({ 1: 0, 2: 0, 3: 1, 4: 1, 5: 1, 6: 1, 7: 2, 8: 2, 9: 2 });
      expect(await replayed(journal, pid)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await replayed(journal, pid, 3, 7)).toEqual([3, 4, 5, 6, 7]);
      expect(await replayed(journal, pid, 2, Infinity, 4)).toEqual([2, 3, 4, 5]);
      expect(await journal.readHighestSequenceNr(pid, 1)).toBe(9);
      expect(await journal.readHighestSequenceNr(pid, 9)).toBe(9);
      await journal.close();
    });

    it('finds the highest sequence number across many partitions, also from a hint above it', async () => {
      const journal = journalWithPartitionsOf(2);
      const pid = freshPid();
      for (let seq = 1; seq <= 11; seq++) await journal.writeMessages([write(pid, seq, seq)]);
      expect(await journal.readHighestSequenceNr(pid, 0)).toBe(11);
      expect(await journal.readHighestSequenceNr(pid, 7)).toBe(11);
      // A hint far above anything stored still gives the true highest.
      expect(await journal.readHighestSequenceNr(pid, 1000)).toBe(11);
      expect(await replayed(journal, pid)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      await journal.close();
    });

    it('finds the highest sequence number from fromSequenceNr hints beyond the first partition, before and after deletes', async () => {
      // The TCK's hint case on 3-event partitions (the TCK itself needs 300-event partitions).
      const journal = journalWithPartitionsOf(3);
      const pid = freshPid();
      for (let seq = 1; seq <= 25; seq++) expect(await journal.writeMessages([write(pid, seq, seq)])).toEqual([undefined]);
      for (const hint of [1, 4, 10, 20, 24, 25, 26]) expect(await journal.readHighestSequenceNr(pid, hint), `hint ${hint}`).toBe(25);
      await journal.deleteMessagesTo(pid, 20);
      for (const hint of [1, 21, 22, 26]) expect(await journal.readHighestSequenceNr(pid, hint), `hint ${hint} after deleting 1..20`).toBe(25);
      await journal.deleteMessagesTo(pid, Infinity);
      for (const hint of [1, 26]) expect(await journal.readHighestSequenceNr(pid, hint), `hint ${hint} after deleting all`).toBe(25);
      expect(await journal.writeMessages([write(pid, 26, 26)])).toEqual([undefined]);
      for (const hint of [1, 26, 27]) expect(await journal.readHighestSequenceNr(pid, hint), `hint ${hint} after writing 26`).toBe(26);
      expect(await replayed(journal, pid)).toEqual([26]);
      // A deleted number is never written again.
      const second = journalWithPartitionsOf(3);
      expect((await second.writeMessages([write(pid, 20, 20)]))[0]).toMatchObject({ code: 'ERR_SEQUENCE_NUMBER_TAKEN' });
      await second.close();
      await journal.close();
    });

    it('rejects an atomic write with more events than a partition holds, storing nothing of it', async () => {
      const journal = journalWithPartitionsOf(3);
      const pid = freshPid();
      const other = freshPid();
      const results = await journal.writeMessages([write(pid, 1, 4), write(other, 1, 3)]);
      expect(results[0]).toBeInstanceOf(CassandraWriteRejectedError);
      expect((results[0] as CassandraWriteRejectedError).code).toBe('ERR_CASSANDRA_WRITE_REJECTED');
      expect(results[0]!.message).toContain('exceeds targetPartitionSize (3)');
      expect(results[1]).toBeUndefined();
      expect(await replayed(journal, pid)).toEqual([]);
      expect(await replayed(journal, other)).toEqual([1, 2, 3]);
      await journal.close();
    });

    it('deletes across partitions, keeps the highest number, and replays what follows the mark', async () => {
      const journal = journalWithPartitionsOf(3);
      const pid = freshPid();
      await journal.writeMessages([write(pid, 1, 2)]);
      await journal.writeMessages([write(pid, 3, 5)]);
      await journal.writeMessages([write(pid, 6, 8)]);
      await journal.deleteMessagesTo(pid, 4);
      expect(await replayed(journal, pid)).toEqual([5, 6, 7, 8]);
      // The rows are gone (range tombstones), not only hidden by the mark.
      expect(Object.keys(await partitionsOf(pid, 4)).map(Number)).toEqual([5, 6, 7, 8]);
      await journal.deleteMessagesTo(pid, Infinity);
      expect(await replayed(journal, pid)).toEqual([]);
      expect(await journal.readHighestSequenceNr(pid, 1)).toBe(8);
      expect(await journal.writeMessages([write(pid, 9, 10)])).toEqual([undefined]);
      expect(await replayed(journal, pid)).toEqual([9, 10]);
      expect(await journal.readHighestSequenceNr(pid, 1)).toBe(10);
      await journal.close();
    });
  });

  describe('schema and connection', () => {
    it('lists every persistence id written, once each', async () => {
      const journal = journalWithPartitionsOf(10);
      const ids = [freshPid(), freshPid(), freshPid()];
      await journal.writeMessages(ids.map((id) => write(id, 1, 2)));
      await journal.writeMessages([write(ids[0]!, 3, 3)]);
      const listed: string[] = [];
      for await (const id of journal.persistenceIds(2)) listed.push(id);
      for (const id of ids) expect(listed.filter((x) => x === id)).toHaveLength(1);
      expect(() => journal.persistenceIds(0)).toThrow(new RangeError('persistenceIds: pageSize must be a positive integer, got 0'));
      await journal.close();
    });

    it('refuses to start with a clear error when the tables are missing and createSchema is off', async () => {
      const missing = uniqueKeyspace('missing');
      const journal = new CassandraJournal({ client, keyspace: missing, createSchema: false });
      const error = await journal.writeMessages([write(freshPid(), 1, 1)]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CassandraSchemaError);
      expect((error as CassandraSchemaError).code).toBe('ERR_CASSANDRA_SCHEMA');
      expect((error as Error).message).toContain(`${missing}.messages`);
      expect((error as Error).message).toContain('createSchema is off');
      await journal.close();
    });

    it('fails to connect with an error naming the host and port when no server listens there', async () => {
      // 127.0.0.1:1 refuses at once: nothing listens on port 1.
      const error = await CassandraJournal.connect({ contactPoints: ['127.0.0.1:1'], localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, connectTimeoutMs: 2000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CassandraUnreachableError);
      expect((error as CassandraUnreachableError).code).toBe('ERR_CASSANDRA_UNREACHABLE');
      expect((error as Error).message).toMatch(/^cannot reach Cassandra at 127\.0\.0\.1:1: 127\.0\.0\.1:1: .*ECONNREFUSED/);
      expect((error as CassandraUnreachableError).contactPoints).toEqual(['127.0.0.1:1']);
    });
  });

  describe('as the journal of persistent actors', () => {
    type Cmd = { type: 'add'; n: number; replyTo: ActorRef<number> } | { type: 'addMany'; ns: number[]; replyTo: ActorRef<number> };
    class Account extends PersistentActor<Cmd, { n: number }> {
      balance = 0;
      constructor(readonly persistenceId: string) {
        super();
      }
      applyEvent(e: { n: number }): void {
        this.balance += e.n;
      }
      async receiveCommand(c: Cmd): Promise<void> {
        if (c.type === 'add') await this.persist({ n: c.n });
        else await this.persistAll(c.ns.map((n) => ({ n })));
        c.replyTo.tell(this.balance);
      }
    }

    it('recovers and persists 3,000 actors started at once, queueing requests beyond maxConcurrentRequests', async () => {
      // The driver fails requests past 2048 in flight on a connection; without the journal's
      // request gate these recoveries fail with NoHostAvailableError (BusyConnectionError).
      const system = ActorSystem.create({ name: 'cassandra-many', logger: silentLogger });
      try {
        Persistence.configure(system, { journals: { default: new CassandraJournal({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, keyspace }) } });
        const run = freshPid();
        const accounts = Array.from({ length: 3000 }, (_, i) => system.spawn(() => new Account(`${run}-${i}`), { name: `a${i}`, supervision: SupervisorStrategy.stopping }));
        const balances = await Promise.all(accounts.map((account, i) => account.ask<number>((replyTo) => ({ type: 'add', n: i, replyTo }), { timeoutMs: 60_000 })));
        expect(balances).toEqual(accounts.map((_, i) => i));
      } finally {
        await system.terminate();
      }
    });

    it('fails recovery with the unreachable host and port when the plugin cannot connect', async () => {
      const system = ActorSystem.create({ name: 'cassandra-unreachable', logger: silentLogger });
      try {
        Persistence.configure(system, { journals: { default: { plugin: 'cassandra', options: { contactPoints: ['127.0.0.1:1'], localDataCenter: CASSANDRA_LOCAL_DATA_CENTER } } } });
        let failure: RecoveryError | undefined;
        class Watched extends Account {
          override onRecoveryFailure(error: RecoveryError): void {
            failure = error;
          }
        }
        system.spawn(() => new Watched(freshPid()), { name: 'watched', supervision: SupervisorStrategy.stopping });
        await eventually(() => failure !== undefined, 30_000, 'the recovery failure');
        expect(failure!.code).toBe('ERR_RECOVERY');
        expect(failure!.cause).toBeInstanceOf(CassandraUnreachableError);
        expect(failure!.message).toContain('cannot reach Cassandra at 127.0.0.1:1: 127.0.0.1:1: connect ECONNREFUSED');
      } finally {
        await system.terminate();
      }
    });

    it('persists through the registered "cassandra" plugin and recovers the state in a new actor system', async () => {
      const options = { contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, keyspace, targetPartitionSize: 4 };
      const pid = freshPid();
      for (const round of [1, 2]) {
        const system = ActorSystem.create({ name: `cassandra-actor-${round}`, logger: silentLogger });
        try {
          Persistence.configure(system, { journals: { default: { plugin: 'cassandra', options } } });
          const probe = TestProbe.create<number>(system);
          const account = system.spawn(() => new Account(pid), { name: 'account', supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 10, maxBackoffMs: 100 }) });
          if (round === 1) {
            account.tell({ type: 'add', n: 5, replyTo: probe.ref });
            await probe.expectMessage(5);
            account.tell({ type: 'addMany', ns: [1, 2, 3, 4], replyTo: probe.ref }); // 2..5 crosses into partition 1
            await probe.expectMessage(15);
          } else {
            account.tell({ type: 'add', n: 100, replyTo: probe.ref });
            await probe.expectMessage(115);
          }
        } finally {
          await system.terminate();
        }
      }
      expect(await partitionsOf(pid, 3)).toEqual({ 1: 0, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1 });
    });
  });
});
