/**
 * The measured cases of the Cassandra benchmark, each for Troupe (a PersistentActor on
 * CassandraJournal) and for the raw cassandra-driver doing the same work on the same table:
 * - write-1-actor: one writer persists N events one after another (each waits for the last);
 * - write-1000-actors: 1,000 writers, each persisting M events one after another, all at once;
 * - recovery-100k: one persistence id's 100,000 events read back and applied in order.
 * The write cases also run Troupe with `unsafeUnconditionalWrites` (plain inserts, the
 * journal before single-writer fencing) and the raw driver with `INSERT … IF NOT EXISTS`
 * (the cheapest write Cassandra refuses to overwrite: one lightweight transaction each).
 * Every case returns events per second of one run.
 */
import { randomUUID } from 'node:crypto';
import { type ActorRef, ActorSystem, silentLogger } from '@troupe/core';
import { Persistence, PersistentActor } from '@troupe/persistence';
import { CassandraJournal } from '@troupe/persistence-cassandra';
import { type JournalPerformance, measureJournalPerformance } from '@troupe/persistence/tck';
import cassandra from 'cassandra-driver';

/** What every case needs: the keyspace, a raw client, and how to build a journal on it. */
export interface BenchContext {
  readonly keyspace: string;
  readonly contactPoints: readonly string[];
  readonly localDataCenter: string;
  /** The raw baseline's own client (not shared with the journal). */
  readonly raw: cassandra.Client;
}

const QUORUM = cassandra.types.consistencies.quorum;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Cmd = { type: 'run'; count: number; replyTo: ActorRef<number> } | { type: 'ready'; replyTo: ActorRef<number> };
type Evt = { n: number };

/** Persists `count` events one after another; during recovery sums them up. */
class BenchWriter extends PersistentActor<Cmd, Evt> {
  total = 0;
  constructor(
    readonly persistenceId: string,
    private readonly recovered?: (total: number) => void,
  ) {
    super();
  }
  applyEvent(event: Evt): void {
    this.total += event.n;
  }
  override onRecoveryCompleted(): void {
    this.recovered?.(this.total);
  }
  async receiveCommand(command: Cmd): Promise<void> {
    if (command.type === 'run') for (let i = 1; i <= command.count; i++) await this.persist({ n: i });
    command.replyTo.tell(this.lastSequenceNr);
  }
}

/** How the journal under test writes: conditional (the default, fenced) or plain inserts (`unsafeUnconditionalWrites`). */
export type WriteMode = 'conditional' | 'unsafe';

/** A system whose default journal is a CassandraJournal on the bench keyspace. */
function troupeSystem(ctx: BenchContext, mode: WriteMode = 'conditional'): { system: ActorSystem; journal: CassandraJournal } {
  const system = ActorSystem.create({ name: `bench-${randomUUID().slice(0, 8)}`, logger: silentLogger });
  const journal = new CassandraJournal({ contactPoints: ctx.contactPoints, localDataCenter: ctx.localDataCenter, keyspace: ctx.keyspace, unsafeUnconditionalWrites: mode === 'unsafe' });
  Persistence.configure(system, { journals: { default: journal } });
  return { system, journal };
}

/** Troupe: `writers` actors each persist `perWriter` events in sequence, all writers at once. */
export async function troupeWrites(ctx: BenchContext, writers: number, perWriter: number, mode: WriteMode = 'conditional'): Promise<number> {
  const { system } = troupeSystem(ctx, mode);
  try {
    const run = randomUUID().slice(0, 8);
    const refs = Array.from({ length: writers }, (_, i) => system.spawn(() => new BenchWriter(`w-${run}-${i}`), { name: `w${i}` }));
    // Recovery (of empty ids) is not part of the measured write throughput.
    await Promise.all(refs.map((ref) => ref.ask<number>((replyTo) => ({ type: 'ready', replyTo }), { timeoutMs: 120_000 })));
    const start = performance.now();
    const done = await Promise.all(refs.map((ref) => ref.ask<number>((replyTo) => ({ type: 'run', count: perWriter, replyTo }), { timeoutMs: 300_000 })));
    const seconds = (performance.now() - start) / 1000;
    if (done.some((seq) => seq !== perWriter)) throw new Error(`a writer ended at ${done.find((seq) => seq !== perWriter)}, not ${perWriter}`);
    return (writers * perWriter) / seconds;
  } finally {
    await system.terminate();
  }
}

/**
 * Raw: `writers` async loops each insert `perWriter` rows in sequence into the same table;
 * with `ifNotExists`, each insert is `IF NOT EXISTS` (a lightweight transaction, not retried).
 */
export async function rawWrites(ctx: BenchContext, writers: number, perWriter: number, ifNotExists = false): Promise<number> {
  const insert = `INSERT INTO ${ctx.keyspace}.messages (persistence_id, partition_nr, sequence_nr, timestamp, writer_uuid, ser_id, ser_manifest, event_manifest, event, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)${ifNotExists ? ' IF NOT EXISTS' : ''}`;
  const options: cassandra.QueryOptions = ifNotExists ? { prepare: true, consistency: QUORUM, isIdempotent: false } : { prepare: true, consistency: QUORUM };
  const run = randomUUID().slice(0, 8);
  const writer = randomUUID();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const pid = `raw-${run}-${w}`;
      for (let seq = 1; seq <= perWriter; seq++) {
        const payload = Buffer.from(encoder.encode(JSON.stringify({ n: seq })));
        const result = await ctx.raw.execute(insert, [pid, 0, seq, Date.now(), writer, 'json', 'Object', '', payload, undefined], options);
        if (ifNotExists && result.first()?.['[applied]'] !== true) throw new Error(`raw conditional insert of ${pid} ${seq} was not applied`);
      }
    }),
  );
  return (writers * perWriter) / ((performance.now() - start) / 1000);
}

/** Stores `count` events of a fresh id (untimed setup for the recovery cases). */
export async function seedHistory(ctx: BenchContext, count: number): Promise<string> {
  const journal = new CassandraJournal({ contactPoints: ctx.contactPoints, localDataCenter: ctx.localDataCenter, keyspace: ctx.keyspace });
  const pid = `history-${randomUUID().slice(0, 8)}`;
  try {
    const chunk = 500;
    const writes = [];
    for (let from = 1; from <= count; from += chunk) {
      const events = [];
      for (let seq = from; seq < Math.min(from + chunk, count + 1); seq++) {
        events.push({
          persistenceId: pid,
          sequenceNr: seq,
          payload: encoder.encode(JSON.stringify({ n: 1 })),
          serializerId: 'json',
          manifest: 'Object',
          eventManifest: '',
          tags: [],
          timestamp: Date.now(),
          writerUuid: 'seed',
        });
      }
      writes.push({ persistenceId: pid, events });
    }
    // One id's writes must go in order: one call per atomic write.
    for (const write of writes) {
      const [result] = await journal.writeMessages([write]);
      if (result !== undefined) throw result;
    }
  } finally {
    await journal.close();
  }
  return pid;
}

/** Troupe: a new actor recovers all `count` events of `pid`; events/s from spawn to recovery completed. */
export async function troupeRecovery(ctx: BenchContext, pid: string, count: number): Promise<number> {
  const { system, journal } = troupeSystem(ctx);
  try {
    await journal.client(); // connecting is not part of recovery
    const start = performance.now();
    const total = await new Promise<number>((resolve) => system.spawn(() => new BenchWriter(pid, resolve), { name: 'recovering' }));
    const seconds = (performance.now() - start) / 1000;
    if (total !== count) throw new Error(`recovered a total of ${total}, expected ${count}`);
    return count / seconds;
  } finally {
    await system.terminate();
  }
}

/** Raw: pages through the partition with the driver, decoding and summing every event. */
export async function rawRecovery(ctx: BenchContext, pid: string, count: number, fetchSize: number): Promise<number> {
  const query = `SELECT sequence_nr, timestamp, writer_uuid, ser_id, ser_manifest, event_manifest, event, tags FROM ${ctx.keyspace}.messages WHERE persistence_id = ? AND partition_nr = ?`;
  const start = performance.now();
  let total = 0;
  let pageState: string | undefined;
  do {
    const options: cassandra.QueryOptions = { prepare: true, fetchSize, consistency: QUORUM };
    if (pageState !== undefined) options.pageState = pageState;
    const result = await ctx.raw.execute(query, [pid, 0], options);
    for (const row of result.rows) total += (JSON.parse(decoder.decode(row['event'] as Buffer)) as Evt).n;
    pageState = result.pageState ?? undefined;
  } while (pageState !== undefined && pageState !== null);
  const seconds = (performance.now() - start) / 1000;
  if (total !== count) throw new Error(`raw recovery summed ${total}, expected ${count}`);
  return count / seconds;
}

/**
 * The compliance kit's performance section (`measureJournalPerformance`: one id, `events`
 * awaited one-event writes, then one replay) on a fresh journal instance of `mode`.
 */
export async function journalPerformance(ctx: BenchContext, events: number, mode: WriteMode): Promise<JournalPerformance> {
  const journal = await CassandraJournal.connect({ contactPoints: ctx.contactPoints, localDataCenter: ctx.localDataCenter, keyspace: ctx.keyspace, unsafeUnconditionalWrites: mode === 'unsafe' });
  try {
    return await measureJournalPerformance(journal, { events, eventsPerWrite: 1, persistenceId: `perf-${mode}-${randomUUID().slice(0, 8)}` });
  } finally {
    await journal.close();
  }
}
