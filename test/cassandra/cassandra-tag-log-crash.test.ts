/**
 * The Cassandra journal appends a write's tag-log entries after its events are stored and
 * before it acknowledges the write: two steps, not one transaction. This kills a real writer
 * process (SIGKILL) in the middle of concurrent tagged writes, repeatedly, and checks that
 * no acknowledged event is ever missing from the tag query, and that after the next recovery
 * of each id (a new writer process, then this one) the tag query holds every stored event
 * of every id exactly once, in sequence order: the repair at recovery appends what a kill
 * between the two steps left out.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { OrderedRepr } from '@troupe/persistence';
import { CassandraJournal } from '@troupe/persistence-cassandra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASSANDRA_LOCAL_DATA_CENTER, cassandraAvailable, cassandraContactPoints } from '../setup/services-env.js';
import { dropKeyspaces, testClient, uniqueKeyspace } from './cassandra-fixtures.js';
import { holdCassandraShared } from './cassandra-lock.js';

const WRITER = fileURLToPath(new URL('./fixtures/cassandra-tag-writer.mjs', import.meta.url));
const IDS = 40;
// Small blocks, so the writes also cross block boundaries (seals, fence re-checks).
const BLOCK_SIZE = 97;
const keyspace = uniqueKeyspace('tag_crash');

let release: (() => void) | undefined;
beforeAll(async () => {
  if (cassandraAvailable()) release = await holdCassandraShared('tag-crash');
}, 300_000);
afterAll(async () => {
  try {
    if (cassandraAvailable()) await dropKeyspaces(testClient(), keyspace);
  } finally {
    release?.();
  }
});

/** A running writer node: what it acknowledged and what failed, as printed so far. */
interface WriterNode {
  readonly acks: Map<string, number[]>;
  readonly fails: { persistenceId: string; seq: number; code: string }[];
  /** Resolves once at least `count` acknowledgements were printed. */
  acknowledged(count: number): Promise<void>;
  /** Resolves with the exit code or signal once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  signal(signal: NodeJS.Signals): void;
}

function startWriter(tag: string, prefix: string): WriterNode {
  const child = spawn(process.execPath, [WRITER, cassandraContactPoints()[0]!, keyspace, tag, prefix, String(IDS), String(BLOCK_SIZE)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks = new Map<string, number[]>();
  const fails: WriterNode['fails'] = [];
  let count = 0;
  let buffered = '';
  let stderr = '';
  const waiters: { count: number; resolve: () => void }[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [word, pid, seq, code] = line.split(' ');
      if (pid === undefined || seq === undefined) continue;
      if (word === 'fail') fails.push({ persistenceId: pid, seq: Number(seq), code: code ?? '' });
      if (word !== 'ack') continue;
      let list = acks.get(pid);
      if (list === undefined) acks.set(pid, (list = []));
      list.push(Number(seq));
      count++;
    }
    for (const waiter of waiters.filter((w) => count >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return {
    acks,
    fails,
    exited,
    signal: (signal) => child.kill(signal),
    acknowledged: (target) =>
      new Promise<void>((resolve, reject) => {
        if (count >= target) return resolve();
        const timer = setTimeout(() => reject(new Error(`writer did not reach ${target} acknowledgements within 90 s (got ${count}); stderr: ${stderr}`)), 90_000);
        waiters.push({ count: target, resolve: () => (clearTimeout(timer), resolve()) });
        void exited.then(({ code, signal }) => reject(new Error(`writer exited (code ${code}, signal ${signal}) after ${count} acknowledgements; stderr: ${stderr}`)));
      }),
  };
}

/** Runs a writer node and SIGKILLs it once it printed `killAfter` acknowledgements; resolves with them all. */
async function runUntilKilled(tag: string, prefix: string, killAfter: number): Promise<Map<string, number[]>> {
  const writer = startWriter(tag, prefix);
  try {
    await writer.acknowledged(killAfter);
  } finally {
    writer.signal('SIGKILL');
  }
  const { signal } = await writer.exited;
  expect(signal).toBe('SIGKILL');
  return writer.acks;
}

/** The whole tag as a consumer reads it: pages of 50, each resumed from the last offset. */
async function readTag(journal: CassandraJournal, tag: string): Promise<OrderedRepr[]> {
  const all: OrderedRepr[] = [];
  let offset = 0;
  for (;;) {
    const page = await journal.currentEventsByTag(tag, offset, 50);
    if (page.length === 0) return all;
    all.push(...page);
    offset = page[page.length - 1]!.offset;
  }
}

/** Sequence numbers stored for an id, read by replay (which, unlike recovery, repairs nothing). */
async function stored(journal: CassandraJournal, persistenceId: string): Promise<number[]> {
  const numbers: number[] = [];
  for await (const page of journal.replayMessages(persistenceId, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) numbers.push(...page.map((e) => e.sequenceNr));
  return numbers;
}

const byId = (events: readonly OrderedRepr[], pid: string): number[] => events.filter((e) => e.repr.persistenceId === pid).map((e) => e.repr.sequenceNr);

describe.skipIf(!cassandraAvailable())('CassandraJournal tag log across SIGKILLed writer processes', () => {
  it('never misses an acknowledged tagged event, and after recovery lists every stored event once, in order', async () => {
    const tag = `crash-${randomUUID()}`;
    const prefix = `tag-crash-${randomUUID()}`;
    const ids = Array.from({ length: IDS }, (_, i) => `${prefix}-${i}`);
    const journal = await CassandraJournal.connect({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, keyspace, tagBlockSize: BLOCK_SIZE });
    try {
      const acknowledged = new Map<string, number[]>(ids.map((id) => [id, []]));
      // Writes a kill left stored but not yet in the log: the window the repair closes.
      let leftOut = 0;
      for (let round = 0; round < 6 && (round < 3 || leftOut === 0); round++) {
        const acks = await runUntilKilled(tag, prefix, 150 + Math.floor(Math.random() * 300));
        for (const [id, seqs] of acks) acknowledged.get(id)!.push(...seqs);
        const log = await readTag(journal, tag);
        for (const id of ids) {
          const listed = byId(log, id);
          const missing = acknowledged.get(id)!.filter((seq) => !listed.includes(seq));
          expect(missing, `acknowledged events of ${id} missing from the tag query after kill ${round + 1}`).toEqual([]);
          const events = await stored(journal, id);
          if (events.length > listed.length) leftOut++;
          expect(listed, `the tag query lists only stored events of ${id}, in order`).toEqual(events.slice(0, listed.length));
        }
      }
      expect(leftOut, 'a kill landed between storing a write and appending its entries').toBeGreaterThan(0);
      // The last kill's writes are repaired by the next recovery of each id: this process's.
      for (const id of ids) {
        await journal.claimWriter(id, `final-${randomUUID()}`);
        await journal.readHighestSequenceNr(id, 1);
      }
      const log = await readTag(journal, tag);
      const keys = log.map((e) => `${e.repr.persistenceId}:${e.repr.sequenceNr}`);
      expect(keys.length - new Set(keys).size, 'events listed twice').toBe(0);
      for (const id of ids) {
        const events = await stored(journal, id);
        expect(events, `${id} has a contiguous history`).toEqual(events.map((_, i) => i + 1));
        expect(byId(log, id), `every stored event of ${id}, once, in order`).toEqual(events);
      }
    } finally {
      await journal.close();
    }
  }, 600_000);

  it('lets no append of a stopped writer (SIGSTOP) land after a newer writer recovered its ids: each stored event listed once', async () => {
    const tag = `zombie-${randomUUID()}`;
    const prefix = `tag-zombie-${randomUUID()}`;
    const ids = Array.from({ length: IDS }, (_, i) => `${prefix}-${i}`);
    const journal = await CassandraJournal.connect({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, keyspace, tagBlockSize: BLOCK_SIZE });
    try {
      // Appends the zombie still had to make when it woke up, refused because a newer writer had claimed the id.
      let stoppedAppends = 0;
      for (let round = 0; round < 6 && (round < 2 || stoppedAppends === 0); round++) {
        const zombie = startWriter(tag, prefix);
        await zombie.acknowledged(100 + Math.floor(Math.random() * 200));
        zombie.signal('SIGSTOP');
        // A newer incarnation of every id recovers meanwhile: claims, and appends what is missing.
        await Promise.all(
          ids.map(async (id) => {
            await journal.claimWriter(id, `newer-${randomUUID()}`);
            await journal.readHighestSequenceNr(id, 1);
          }),
        );
        zombie.signal('SIGCONT');
        const { code, stderr } = await zombie.exited;
        expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
        expect(zombie.fails.length, 'every id of the zombie stops at a refused or failed write').toBe(IDS);
        expect(zombie.fails.map((f) => f.code).filter((c) => c !== 'ERR_WRITER_FENCED' && c !== 'ERR_CASSANDRA_TAG_LOG')).toEqual([]);
        stoppedAppends += zombie.fails.filter((f) => f.code === 'ERR_CASSANDRA_TAG_LOG').length;
        const log = await readTag(journal, tag);
        const keys = log.map((e) => `${e.repr.persistenceId}:${e.repr.sequenceNr}`);
        expect(keys.length - new Set(keys).size, `events listed twice after round ${round + 1}`).toBe(0);
        for (const id of ids) {
          const events = await stored(journal, id);
          expect(byId(log, id), `every stored event of ${id}, once, in order`).toEqual(events);
          const missing = (zombie.acks.get(id) ?? []).filter((seq) => !events.includes(seq));
          expect(missing, 'acknowledged events are stored').toEqual([]);
        }
      }
      expect(stoppedAppends, 'a stop landed between storing a write and appending its entries').toBeGreaterThan(0);
    } finally {
      await journal.close();
    }
  }, 600_000);
});
