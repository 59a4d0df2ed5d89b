import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type ActorRef, ActorSystem, SupervisorStrategy, silentLogger } from '@troupe/core';
import { type JournalWriteError, Persistence, PersistentActor, type RecoveryError } from '@troupe/persistence';
import { CassandraJournal } from '@troupe/persistence-cassandra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASSANDRA_LOCAL_DATA_CENTER, cassandraAvailable, cassandraContactPoints } from '../setup/services-env.js';
import { holdCassandraExclusive } from './cassandra-lock.js';
import { dropKeyspaces, eventually, testClient, uniqueKeyspace } from './cassandra-fixtures.js';

const SERVICES = fileURLToPath(new URL('../../scripts/services', import.meta.url));
const keyspace = uniqueKeyspace('fault_it');
const ACTORS = 4;

/** Runs scripts/services; the restart keeps the data (TROUPE_SERVICES_KEEP_DATA=1), as a real restart would. */
function services(...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(SERVICES, args, { env: { ...process.env, TROUPE_SERVICES_KEEP_DATA: '1' }, timeout: 240_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: stdout + stderr });
    });
  });
}

type Ack = { readonly ok: true; readonly seq: number; readonly n: number } | { readonly ok: false; readonly code: string };
type Cmd = { type: 'add'; n: number; replyTo: ActorRef<Ack> } | { type: 'get'; replyTo: ActorRef<{ balance: number; seq: number }> };

const stats = { persistFailures: 0, recoveryFailures: 0, recoveries: 0 };

class Ledger extends PersistentActor<Cmd, { n: number }> {
  balance = 0;
  constructor(readonly persistenceId: string) {
    super();
  }
  applyEvent(event: { n: number }): void {
    this.balance += event.n;
  }
  override onRecoveryCompleted(): void {
    stats.recoveries++;
  }
  override onPersistFailure(_error: JournalWriteError): void {
    stats.persistFailures++;
  }
  override onRecoveryFailure(_error: RecoveryError): void {
    stats.recoveryFailures++;
  }
  async receiveCommand(command: Cmd): Promise<void> {
    if (command.type === 'get') {
      command.replyTo.tell({ balance: this.balance, seq: this.lastSequenceNr });
      return;
    }
    try {
      await this.persist({ n: command.n });
      command.replyTo.tell({ ok: true, seq: this.lastSequenceNr, n: command.n });
    } catch (error) {
      command.replyTo.tell({ ok: false, code: (error as { code?: string }).code ?? 'unknown' });
      throw error; // the actor fails: its backoff supervisor restarts it
    }
  }
}

describe.skipIf(!cassandraAvailable())('CassandraJournal when the real Cassandra stops mid-write', () => {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await holdCassandraExclusive();
  }, 300_000);
  afterAll(async () => {
    release?.();
    await dropKeyspaces(testClient(), keyspace);
  });

  it('fails the writes, restarts the actors with backoff, and keeps every acknowledged event once and contiguous after the restart', { timeout: 300_000 }, async () => {
    const system = ActorSystem.create({ name: 'cassandra-fault', logger: silentLogger });
    const journal = new CassandraJournal({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, keyspace, requestTimeoutMs: 5000, targetPartitionSize: 50 });
    Persistence.configure(system, { journals: { default: journal } });
    const pids = Array.from({ length: ACTORS }, (_, i) => `ledger-${i}`);
    const refs = pids.map((pid) =>
      system.spawn(() => new Ledger(pid), { name: pid, supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 100, maxBackoffMs: 1000, logFailures: false }) }),
    );
    const acked = pids.map(() => new Map<number, number>());
    const failedCodes = new Set<string>();
    let stopLoad = false;
    let nextN = 1;
    // One writer per actor: a command at a time, each waiting for its answer (ok or failed).
    const load = refs.map(async (ref, i) => {
      while (!stopLoad) {
        const n = nextN++;
        const ack = await ref.ask<Ack>((replyTo) => ({ type: 'add', n, replyTo }), { timeoutMs: 240_000 });
        if (ack.ok) acked[i]!.set(ack.seq, n);
        else failedCodes.add(ack.code);
      }
    });
    const total = (): number => acked.reduce((sum, m) => sum + m.size, 0);
    try {
      await eventually(() => total() >= 100, 60_000, '100 acknowledged writes before the stop');
      const recoveriesBefore = stats.recoveries;
      let ackedWhileDown: number;
      try {
        const stopped = await services('stop', 'cassandra');
        expect(stopped.code, stopped.output).toBe(0);
        // The server is gone: writes fail, and the actors fail and restart (recovery fails too, until it is back).
        await eventually(() => stats.persistFailures > 0, 30_000, 'a failed write');
        await eventually(() => stats.recoveryFailures > 0, 30_000, 'a failed recovery after a backoff restart');
        ackedWhileDown = total();
      } finally {
        const started = await services('start', 'cassandra');
        expect(started.code, started.output).toBe(0);
      }
      // Back: the actors recover and every writer gets acknowledgements again.
      const perActorAtRestart = acked.map((m) => m.size);
      await eventually(() => acked.every((m, i) => m.size >= perActorAtRestart[i]! + 10), 120_000, '10 more acknowledged writes per actor after the restart');
      expect(stats.recoveries).toBeGreaterThan(recoveriesBefore);
      expect(ackedWhileDown).toBeGreaterThanOrEqual(100);
      // The writers were told: their persist failed as a whole (not a rejection).
      expect([...failedCodes]).toEqual(['ERR_JOURNAL_WRITE']);
    } finally {
      stopLoad = true;
      await Promise.allSettled(load);
    }

    // Every acknowledged event is stored, once, in a contiguous history; the actors agree.
    const reader = new CassandraJournal({ contactPoints: cassandraContactPoints(), localDataCenter: CASSANDRA_LOCAL_DATA_CENTER, keyspace, targetPartitionSize: 50 });
    try {
      for (let i = 0; i < ACTORS; i++) {
        const pid = pids[i]!;
        const stored = new Map<number, number>();
        const order: number[] = [];
        for await (const page of reader.replayMessages(pid, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) {
          for (const e of page) {
            order.push(e.sequenceNr);
            stored.set(e.sequenceNr, (JSON.parse(new TextDecoder().decode(e.payload)) as { n: number }).n);
          }
        }
        const highest = await reader.readHighestSequenceNr(pid, 1);
        expect(order).toEqual(Array.from({ length: highest }, (_, k) => k + 1));
        expect(new Set(stored.values()).size).toBe(stored.size); // no command stored twice
        for (const [seq, n] of acked[i]!) expect(stored.get(seq), `${pid} event ${seq}`).toBe(n);
        const state = await refs[i]!.ask<{ balance: number; seq: number }>((replyTo) => ({ type: 'get', replyTo }), { timeoutMs: 30_000 });
        expect(state).toEqual({ balance: [...stored.values()].reduce((a, b) => a + b, 0), seq: highest });
      }
    } finally {
      await reader.close();
      await system.terminate();
    }
  });
});
