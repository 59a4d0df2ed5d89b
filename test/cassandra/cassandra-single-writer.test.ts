/**
 * The single-writer contract on a real Cassandra: two journal instances with their own
 * sessions (as two processes in a split brain, a double spawn or a zombie after failover)
 * writing one persistence id. No acknowledged event may be lost, the stale writer is refused
 * with the typed errors, and a claim fences the older writer even when it does not collide,
 * also across partition boundaries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActorSystem, type ActorRef, SupervisorStrategy, silentLogger } from '@troupe/core';
import { type AtomicWrite, type Journal, Persistence, PersistentActor, type PersistentRepr, isStaleWriterRejection } from '@troupe/persistence';
import { CassandraJournal } from '@troupe/persistence-cassandra';
import { runNodeProgram, TestProbe } from '@troupe/testkit';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASSANDRA_LOCAL_DATA_CENTER, cassandraAvailable, cassandraContactPoints } from '../setup/services-env.js';
import { dropKeyspaces, testClient, uniqueKeyspace } from './cassandra-fixtures.js';
import { holdCassandraShared } from './cassandra-lock.js';

const cassandraTypes = cassandra.types;
const keyspace = uniqueKeyspace('single_writer');
const legacyKeyspace = uniqueKeyspace('single_writer_legacy');
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TAKEN = 'ERR_SEQUENCE_NUMBER_TAKEN';
const FENCED = 'ERR_WRITER_FENCED';
let client: cassandra.Client;
let counter = 0;
const freshPid = (what: string): string => `${what}-${++counter}-${Date.now()}`;

function event(persistenceId: string, sequenceNr: number, writerUuid: string, text = `${writerUuid}:${sequenceNr}`): PersistentRepr {
  return { persistenceId, sequenceNr, payload: encoder.encode(text), serializerId: 'json', manifest: 'm', eventManifest: '', tags: [], timestamp: 1_700_000_000_000 + sequenceNr, writerUuid };
}

function write(persistenceId: string, from: number, to: number, writerUuid: string): AtomicWrite {
  const events: PersistentRepr[] = [];
  for (let seq = from; seq <= to; seq++) events.push(event(persistenceId, seq, writerUuid));
  return { persistenceId, events };
}

async function writeOne(journal: Journal, w: AtomicWrite): Promise<Error | undefined> {
  const [result] = await journal.writeMessages([w]);
  return result;
}

const codeOf = (error: unknown): string | undefined => (error as { code?: string } | undefined)?.code;

async function replayAll(journal: Journal, pid: string): Promise<PersistentRepr[]> {
  const events: PersistentRepr[] = [];
  for await (const page of journal.replayMessages(pid, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) events.push(...page);
  return events;
}

/** A journal with its own driver session, as another process would have. */
const ownJournal = (options: Partial<ConstructorParameters<typeof CassandraJournal>[0]> = {}): Promise<CassandraJournal> =>
  CassandraJournal.connect({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, keyspace, ...options });

describe.skipIf(!cassandraAvailable())('CassandraJournal single writer', () => {
  let release: (() => void) | undefined;
  let a: CassandraJournal;
  let b: CassandraJournal;
  beforeAll(async () => {
    release = await holdCassandraShared('single-writer');
    client = testClient();
    await client.connect();
    a = await ownJournal({ targetPartitionSize: 3 });
    b = await ownJournal({ targetPartitionSize: 3 });
  }, 120_000);
  afterAll(async () => {
    try {
      await a?.close();
      await b?.close();
      await dropKeyspaces(client, keyspace, legacyKeyspace);
    } finally {
      release?.();
    }
  });

  describe('two instances writing one id at once (the measured split brain)', () => {
    it('loses no acknowledged event, keeps the history contiguous, and refuses the loser with ERR_SEQUENCE_NUMBER_TAKEN', async () => {
      const pid = freshPid('race');
      // Each writer believes it is alone: it numbers on from its own last acknowledged event,
      // and after a refusal from what the journal now says is the highest.
      const run = async (journal: CassandraJournal, name: string): Promise<{ acknowledged: string[]; refusals: unknown[] }> => {
        const acknowledged: string[] = [];
        const refusals: unknown[] = [];
        let next = 1;
        for (let i = 0; i < 20; i++) {
          const text = `${name}-${i}`;
          const result = await writeOne(journal, { persistenceId: pid, events: [event(pid, next, name, text)] });
          if (result === undefined) {
            acknowledged.push(text);
            next++;
          } else {
            refusals.push(result);
            next = (await journal.readHighestSequenceNr(pid, 1)) + 1;
          }
        }
        return { acknowledged, refusals };
      };
      const [fromA, fromB] = await Promise.all([run(a, 'a'), run(b, 'b')]);
      const third = await ownJournal({ targetPartitionSize: 3 });
      try {
        const events = await replayAll(third, pid);
        const recovered = events.map((e) => decoder.decode(e.payload));
        const acknowledged = [...fromA.acknowledged, ...fromB.acknowledged];
        expect(recovered.length, `${acknowledged.length} acknowledged, ${recovered.length} recovered`).toBe(acknowledged.length);
        expect(new Set(recovered)).toEqual(new Set(acknowledged));
        expect(events.map((e) => e.sequenceNr)).toEqual(events.map((_, i) => i + 1));
        expect(await third.readHighestSequenceNr(pid, 1)).toBe(events.length);
        for (const refusal of [...fromA.refusals, ...fromB.refusals]) expect(codeOf(refusal)).toBe(TAKEN);
      } finally {
        await third.close();
      }
    });

    it('acknowledges exactly one of two multi-event writes racing for the same numbers across partition boundaries', async () => {
      const pid = freshPid('race-batch');
      let highest = 0;
      for (let round = 0; round < 12; round++) {
        // A writes 2 events, B writes 3 (so some writes cross a boundary of 3-event partitions).
        const [ra, rb] = await Promise.all([writeOne(a, write(pid, highest + 1, highest + 2, 'a')), writeOne(b, write(pid, highest + 1, highest + 3, 'b'))]);
        expect(
          [ra, rb].filter((r) => r === undefined),
          `round ${round}`,
        ).toHaveLength(1);
        expect(codeOf(ra ?? rb)).toBe(TAKEN);
        highest += ra === undefined ? 2 : 3;
      }
      const events = await replayAll(b, pid);
      expect(events.map((e) => e.sequenceNr)).toEqual(Array.from({ length: highest }, (_, i) => i + 1));
      expect(await a.readHighestSequenceNr(pid, 1)).toBe(highest);
      expect(await a.readHighestSequenceNr(pid, highest)).toBe(highest);
    });
  });

  describe('two processes writing one id at once', () => {
    type Report = { label: string; acknowledged: { seq: number; text: string }[]; refused: Record<string, number>; fenced: boolean };
    const script = fileURLToPath(new URL('./fixtures/cassandra-racer.mjs', import.meta.url));
    const race = async (pid: string, claim: 'claim' | 'no-claim'): Promise<Report[]> => {
      const barrier = mkdtempSync(join(tmpdir(), 'cassandra-racers-'));
      try {
        const runs = await Promise.all(
          ['a', 'b'].map((label) => runNodeProgram([script, cassandraContactPoints()[0]!, keyspace, pid, label, '40', barrier, claim, '3'], { cwd: barrier, timeoutMs: 120_000 })),
        );
        return runs.map((run) => {
          expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
          return JSON.parse(run.stdout) as Report;
        });
      } finally {
        rmSync(barrier, { recursive: true, force: true });
      }
    };
    const expectEveryAcknowledgedEventRecovered = async (pid: string, reports: Report[]): Promise<void> => {
      const owner = new Map<number, string>();
      for (const report of reports) {
        for (const { seq, text } of report.acknowledged) {
          expect(owner.has(seq), `sequence number ${seq} acknowledged twice`).toBe(false);
          owner.set(seq, text);
        }
      }
      const third = await ownJournal({ targetPartitionSize: 3 });
      try {
        const events = await replayAll(third, pid);
        expect(events.map((e) => `${e.sequenceNr}:${decoder.decode(e.payload)}`)).toEqual([...owner.keys()].sort((x, y) => x - y).map((seq) => `${seq}:${owner.get(seq)}`));
        expect(events.map((e) => e.sequenceNr)).toEqual(events.map((_, i) => i + 1));
      } finally {
        await third.close();
      }
    };

    it('acknowledges each number once and recovers every acknowledged event; the loser of each race is refused as taken', async () => {
      const pid = freshPid('processes');
      const reports = await race(pid, 'no-claim');
      for (const report of reports) expect(Object.keys(report.refused).filter((code) => code !== TAKEN)).toEqual([]);
      expect(
        reports.reduce((sum, r) => sum + (r.refused[TAKEN] ?? 0), 0),
        'the two processes raced',
      ).toBeGreaterThan(0);
      await expectEveryAcknowledgedEventRecovered(pid, reports);
    });

    it('after both claimed, fences the earlier claimant at its first write while the later writes all its events', async () => {
      const pid = freshPid('processes-claimed');
      const reports = await race(pid, 'claim');
      const [loser, winner] = reports[0]!.fenced ? [reports[0]!, reports[1]!] : [reports[1]!, reports[0]!];
      expect(loser.fenced).toBe(true);
      expect(loser.acknowledged).toEqual([]);
      expect(winner.fenced).toBe(false);
      expect(winner.acknowledged).toHaveLength(40);
      await expectEveryAcknowledgedEventRecovered(pid, reports);
    });
  });

  describe('claimWriter', () => {
    it('fences the older writer whose next write would not collide, also when it would open the next partition', async () => {
      const pid = freshPid('zombie');
      await a.claimWriter(pid, 'old');
      expect(await a.writeMessages([write(pid, 1, 2, 'old')])).toEqual([undefined]);
      expect(await a.writeMessages([write(pid, 3, 3, 'old')])).toEqual([undefined]); // partition 0 is full
      await b.claimWriter(pid, 'new');
      expect(await b.readHighestSequenceNr(pid, 1)).toBe(3);
      // The zombie's next writes: into partition 1, into partition 1 and beyond, from either instance.
      for (const [journal, from, to] of [
        [a, 4, 4],
        [a, 4, 6],
        [b, 4, 5],
      ] as const) {
        const refused = await writeOne(journal, write(pid, from, to, 'old'));
        expect(codeOf(refused), `old writer ${from}..${to}`).toBe(FENCED);
        expect(isStaleWriterRejection(refused)).toBe(true);
      }
      expect(await b.writeMessages([write(pid, 4, 5, 'new')])).toEqual([undefined]);
      expect(await b.writeMessages([write(pid, 6, 8, 'new')])).toEqual([undefined]); // crosses into partition 2
      expect(codeOf(await writeOne(a, write(pid, 9, 9, 'old')))).toBe(FENCED);
      expect(await a.writeMessages([write(pid, 9, 10, 'new')])).toEqual([undefined]);
      const events = await replayAll(a, pid);
      expect(events.map((e) => `${e.sequenceNr}:${e.writerUuid}`)).toEqual(['1:old', '2:old', '3:old', '4:new', '5:new', '6:new', '7:new', '8:new', '9:new', '10:new']);
      // A claim at 10 sets the fence of partitions 3 and 4; 4 then holds only its static
      // columns, which the full-table scan must not take for an event.
      await b.claimWriter(pid, 'last');
      const scanned: number[] = [];
      for await (const row of a.eventTable()) if (row.key.persistenceId === pid) scanned.push(row.event.sequenceNr);
      expect(scanned.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('fences a writer that would cross into the next partition right after the claim', async () => {
      const pid = freshPid('crossing');
      await a.claimWriter(pid, 'old');
      expect(await a.writeMessages([write(pid, 1, 2, 'old')])).toEqual([undefined]);
      await b.claimWriter(pid, 'new');
      // 3..4 would close partition 0 and open partition 1.
      expect(codeOf(await writeOne(a, write(pid, 3, 4, 'old')))).toBe(FENCED);
      expect(codeOf(await writeOne(a, write(pid, 3, 3, 'old')))).toBe(FENCED);
      expect(await b.writeMessages([write(pid, 3, 4, 'new')])).toEqual([undefined]);
      expect((await replayAll(a, pid)).map((e) => e.sequenceNr)).toEqual([1, 2, 3, 4]);
    });

    it('never acknowledges a write of the older writer after a claim racing its writes resolved', async () => {
      const pid = freshPid('claim-race');
      await a.claimWriter(pid, 'old');
      let claimed = false;
      const lateAcks: number[] = [];
      let next = 1;
      const writer = (async () => {
        // The old writer writes 1- and 2-event writes as fast as it can until it is fenced.
        for (let i = 0; i < 200; i++) {
          const size = i % 2 === 0 ? 1 : 2;
          const sent = next;
          const claimedBefore = claimed;
          const result = await writeOne(a, write(pid, sent, sent + size - 1, 'old'));
          if (result === undefined) {
            if (claimedBefore) lateAcks.push(sent);
            next += size;
          } else {
            expect(codeOf(result)).toBe(FENCED);
            return;
          }
        }
        throw new Error('the old writer was never fenced');
      })();
      // Let the old writer get a few partitions in first.
      while (next < 8) await new Promise<void>((resolve) => setImmediate(resolve));
      await b.claimWriter(pid, 'new');
      claimed = true;
      await writer;
      expect(lateAcks, 'writes of the old writer sent after the claim resolved and acknowledged').toEqual([]);
      const highest = await b.readHighestSequenceNr(pid, 1);
      expect(highest).toBe(next - 1);
      expect(await b.writeMessages([write(pid, highest + 1, highest + 2, 'new')])).toEqual([undefined]);
      const events = await replayAll(a, pid);
      expect(events.map((e) => e.sequenceNr)).toEqual(Array.from({ length: highest + 2 }, (_, i) => i + 1));
    });

    it('leaves one winner of two claims made at once: the same writer in both claimed partitions, and it keeps writing', async () => {
      for (let round = 0; round < 25; round++) {
        const pid = freshPid('claims-at-once');
        await Promise.all([a.claimWriter(pid, 'a'), b.claimWriter(pid, 'b')]);
        const fences = await Promise.all(
          [0, 1].map(async (p) => {
            const result = await client.execute(`SELECT fence FROM ${keyspace}.messages WHERE persistence_id = ? AND partition_nr = ? LIMIT 1`, [pid, p], {
              prepare: true,
              consistency: cassandraTypes.consistencies.serial,
            });
            return result.first()?.['fence'] as string;
          }),
        );
        expect(fences[1], `round ${round}: partitions 0 and 1 name the same writer`).toBe(fences[0]);
        // The winner writes across the boundary into partition 1; the other is fenced.
        const [winner, loser] = fences[0] === 'a' ? [a, b] : [b, a];
        expect(await winner.writeMessages([write(pid, 1, 3, fences[0]!)])).toEqual([undefined]);
        expect(await winner.writeMessages([write(pid, 4, 4, fences[0]!)])).toEqual([undefined]);
        expect(codeOf(await writeOne(loser, write(pid, 5, 5, fences[0] === 'a' ? 'b' : 'a')))).toBe(FENCED);
      }
    });

    it('continues into the next partition when the partition was closed by a write that never completed', async () => {
      // A writer that closed (sealed) partition 0 to open partition 1 and crashed before writing there.
      const pid = freshPid('sealed');
      expect(await a.writeMessages([write(pid, 1, 2, 'w')])).toEqual([undefined]);
      await client.execute(`UPDATE ${keyspace}.messages SET sealed = true WHERE persistence_id = ? AND partition_nr = 0`, [pid], { prepare: true });
      expect(await a.writeMessages([write(pid, 3, 3, 'w')])).toEqual([undefined]);
      expect(codeOf(await writeOne(b, write(pid, 2, 3, 'w')))).toBe(TAKEN);
      expect(await b.writeMessages([write(pid, 4, 4, 'w')])).toEqual([undefined]);
      expect((await replayAll(b, pid)).map((e) => e.sequenceNr)).toEqual([1, 2, 3, 4]);
      expect(await b.readHighestSequenceNr(pid, 1)).toBe(4);
      expect(await b.readHighestSequenceNr(pid, 4)).toBe(4);
    });
  });

  describe('unsafeUnconditionalWrites', () => {
    it('writes plain inserts: a second writer overwrites an acknowledged event, as its README line warns', async () => {
      const unsafe = await ownJournal({ targetPartitionSize: 3, unsafeUnconditionalWrites: true });
      try {
        const pid = freshPid('unsafe');
        await unsafe.claimWriter(pid, 'first');
        expect(await unsafe.writeMessages([write(pid, 1, 2, 'first')])).toEqual([undefined]);
        // Neither the taken number nor the claim refuses it.
        expect(await unsafe.writeMessages([write(pid, 2, 2, 'second')])).toEqual([undefined]);
        expect((await replayAll(unsafe, pid)).map((e) => `${e.sequenceNr}:${e.writerUuid}`)).toEqual(['1:first', '2:second']);
      } finally {
        await unsafe.close();
      }
    });
  });

  describe('as the journal of persistent actors in two actor systems', () => {
    type Cmd = { type: 'add'; text: string; replyTo: ActorRef<string> };
    class Recorder extends PersistentActor<Cmd, { text: string }> {
      readonly texts: string[] = [];
      constructor(
        readonly persistenceId: string,
        private readonly recovered?: (texts: string[]) => void,
      ) {
        super();
      }
      applyEvent(e: { text: string }): void {
        this.texts.push(e.text);
      }
      override onRecoveryCompleted(): void {
        this.recovered?.(this.texts);
      }
      async receiveCommand(c: Cmd): Promise<void> {
        await this.persist({ text: c.text });
        c.replyTo.tell(c.text);
      }
    }

    it('loses none of the events acknowledged by either incarnation, stops the stale one, and the newer keeps writing', async () => {
      const pid = freshPid('two-systems');
      const systems = [0, 1].map((i) => ActorSystem.create({ name: `split-${i}`, logger: silentLogger }));
      const acknowledged: string[] = [];
      let survivor = -1;
      try {
        const refs = systems.map((system) => {
          Persistence.configure(system, { journals: { default: new CassandraJournal({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, keyspace }) } });
          return system.spawn(() => new Recorder(pid), { name: 'recorder', supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 10, maxBackoffMs: 50 }) });
        });
        const probes = systems.map((system, i) => {
          const probe = TestProbe.create<never>(system);
          probe.watch(refs[i]!);
          return probe;
        });
        // 20 commands to each incarnation at once: both recovered (and claimed) the same empty history.
        const asks = refs.flatMap((ref, i) =>
          Array.from({ length: 20 }, (_, k) =>
            ref
              .ask<string>((replyTo) => ({ type: 'add', text: `s${i}-${k}`, replyTo }), { timeoutMs: 10_000 })
              .then(
                (text) => acknowledged.push(text),
                () => undefined,
              ),
          ),
        );
        await Promise.all(asks);
        // One more command each. The incarnation that claimed first is fenced at this write at
        // the latest (it may have written all 20 before the other even recovered) and stops.
        const extras = await Promise.all(
          refs.map((ref, i) =>
            ref
              .ask<string>((replyTo) => ({ type: 'add', text: `extra-${i}`, replyTo }), { timeoutMs: 10_000 })
              .then(
                (text) => {
                  acknowledged.push(text);
                  return true;
                },
                () => false,
              ),
          ),
        );
        const stopped = await Promise.any(probes.map((probe, i) => probe.expectTerminated(refs[i]!, 20_000).then(() => i)));
        survivor = 1 - stopped;
        expect(extras).toEqual(survivor === 0 ? [true, false] : [false, true]);
        expect(acknowledged.filter((text) => text.startsWith(`s${survivor}-`))).toHaveLength(20);
      } finally {
        await Promise.all(systems.map((system) => system.terminate()));
      }
      const third = ActorSystem.create({ name: 'split-recover', logger: silentLogger });
      try {
        Persistence.configure(third, { journals: { default: new CassandraJournal({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, keyspace }) } });
        const recovered = await new Promise<string[]>((resolve) => third.spawn(() => new Recorder(pid, resolve), { name: 'recorder' }));
        const lost = acknowledged.filter((text) => !recovered.includes(text));
        expect(lost, `${acknowledged.length} acknowledged, ${recovered.length} recovered`).toEqual([]);
        expect(recovered.length).toBe(acknowledged.length);
        expect(recovered.at(-1)).toBe(`extra-${survivor}`);
      } finally {
        await third.terminate();
      }
    });
  });

  describe('an existing table written before fencing (no static columns)', () => {
    it('adds the columns, replays the old rows, refuses writes over them, and goes on writing', async () => {
      const pid = freshPid('legacy');
      // The schema and rows as the journal before single-writer fencing created them.
      await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${legacyKeyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
      await client.execute(
        `CREATE TABLE IF NOT EXISTS ${legacyKeyspace}.messages (persistence_id text, partition_nr bigint, sequence_nr bigint, timestamp bigint, writer_uuid text, ` +
          'ser_id text, ser_manifest text, event_manifest text, event blob, tags frozen<list<text>>, PRIMARY KEY ((persistence_id, partition_nr), sequence_nr))',
      );
      await client.execute(`CREATE TABLE IF NOT EXISTS ${legacyKeyspace}.metadata (persistence_id text PRIMARY KEY, deleted_to bigint)`);
      await client.execute(`CREATE TABLE IF NOT EXISTS ${legacyKeyspace}.all_persistence_ids (persistence_id text PRIMARY KEY)`);
      for (let seq = 1; seq <= 4; seq++) {
        await client.execute(
          `INSERT INTO ${legacyKeyspace}.messages (persistence_id, partition_nr, sequence_nr, timestamp, writer_uuid, ser_id, ser_manifest, event_manifest, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [pid, seq <= 3 ? 0 : 1, seq, 1_700_000_000_000, 'before', 'json', 'm', '', Buffer.from(`before:${seq}`)],
          { prepare: true },
        );
      }
      const journal = await ownJournal({ keyspace: legacyKeyspace, targetPartitionSize: 3 });
      try {
        const columns = await client.execute('SELECT column_name, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?', [legacyKeyspace, 'messages'], { prepare: true });
        const statics = columns.rows.filter((row) => row['kind'] === 'static').map((row) => String(row['column_name']));
        expect(statics.sort()).toEqual(['claim_epoch', 'fence', 'high', 'sealed']);
        expect((await replayAll(journal, pid)).map((e) => decoder.decode(e.payload))).toEqual(['before:1', 'before:2', 'before:3', 'before:4']);
        expect(await journal.readHighestSequenceNr(pid, 1)).toBe(4);
        for (const [from, to] of [
          [4, 4],
          [2, 2],
          [3, 5],
        ] as const) {
          expect(codeOf(await writeOne(journal, write(pid, from, to, 'after'))), `${from}..${to} over the old rows`).toBe(TAKEN);
        }
        await journal.claimWriter(pid, 'after');
        expect(await journal.writeMessages([write(pid, 5, 6, 'after')])).toEqual([undefined]);
        expect(codeOf(await writeOne(journal, write(pid, 7, 7, 'before')))).toBe(FENCED);
        expect((await replayAll(journal, pid)).map((e) => `${e.sequenceNr}:${e.writerUuid}`)).toEqual(['1:before', '2:before', '3:before', '4:before', '5:after', '6:after']);
        // A second instance starting on the migrated table finds the columns in place.
        const again = await ownJournal({ keyspace: legacyKeyspace, targetPartitionSize: 3 });
        expect(await again.readHighestSequenceNr(pid, 1)).toBe(6);
        await again.close();
      } finally {
        await journal.close();
      }
    });
  });
});
