// The main demo: event-sourced bank accounts on the embedded, durable SQLite journal.
// Run it twice: the second run recovers every balance the first one left.
import { resolve } from 'node:path';
import { type ActorRef, ActorSystem, type LogFields, type Logger } from '@troupe/core';
import { Persistence, PersistenceQuery, SqliteJournal, SqliteSnapshotStore } from '@troupe/persistence';
import { type AccountEvent, BANK_TAG, type Receipt } from './account.js';
import { Bank, type BankCommand } from './bank.js';
import { LedgerProjection } from './ledger-projection.js';
import { RunCounter } from './run-counter.js';

const ACCOUNTS = 100;
const DEPOSITS = 20_000;
const TRANSFERS = 1_000;
const IN_FLIGHT = 500;

const dataDir = resolve(process.env.TROUPE_DEMO_DATA ?? '.troupe-data/bank');
const number = (n: number): string => Math.round(n).toLocaleString('en-US');
const money = (cents: number): string => `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}`;

/** Prints the supervisor's decisions in the story; everything else below warn stays quiet. */
const logger: Logger = {
  debug() {},
  info() {},
  warn: (message) => console.log(`   [warn] ${message}`),
  error: (message: string, fields?: LogFields) => {
    if (fields?.directive !== undefined) console.log(`   [supervisor] ${fields.child as string}: ${fields.directive as string} in ${Math.round(fields.delayMs as number)} ms`);
    else console.log(`   [error] ${message}`);
  },
};

const system = ActorSystem.create({ name: 'bank', logger });
Persistence.configure(system, {
  journals: { default: new SqliteJournal({ path: `${dataDir}/journal.db` }) },
  snapshotStores: { default: new SqliteSnapshotStore({ path: `${dataDir}/snapshots.db` }) },
});

const bank = system.spawn(() => new Bank(), { name: 'bank' });
const accountId = (i: number): string => `${(i % ACCOUNTS) + 1}`;
const ask = <R>(id: string, build: (replyTo: ActorRef<R>) => BankCommand['command']): Promise<R> =>
  bank.ask<R>((replyTo) => ({ type: 'to-account', accountId: id, command: build(replyTo) }), { timeoutMs: 30_000 });
const balanceOf = (id: string): Promise<number> => ask<number>(id, (replyTo) => ({ type: 'balance', replyTo }));
const sumOfBalances = async (): Promise<number> => (await Promise.all(Array.from({ length: ACCOUNTS }, (_, i) => balanceOf(accountId(i))))).reduce((a, b) => a + b, 0);

/** Runs `count` asks, `IN_FLIGHT` at a time. */
async function inFlight<R>(count: number, one: (i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      results[i] = await one(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, worker));
  return results;
}

console.log('Troupe demo: event-sourced bank accounts on the embedded SQLite journal');
console.log(`data: ${dataDir} (delete it to start over)\n`);

// 1. Recovery: every account rebuilds its balance from snapshot + events on first use.
const runs = system.spawn(() => new RunCounter(), { name: 'runs' });
const run = await runs.ask<number>((replyTo) => ({ type: 'start', replyTo }));
let started = performance.now();
const before = await sumOfBalances();
console.log(`1. recovery    run #${run}: ${ACCOUNTS} accounts recovered in ${(performance.now() - started).toFixed(0)} ms; the bank holds ${money(before)}`);

// The ledger read model resumes after the offset it stored in the previous run.
const queries = await PersistenceQuery.readJournalFor<AccountEvent>(system);
const ledger = await LedgerProjection.start(system, queries, `${dataDir}/ledger.db`);
const { resumedAfter } = ledger;

// 2. Deposits from many concurrent clients: each account persists one event at a time,
//    and the writes of all accounts in one tick reach SQLite as one batch.
started = performance.now();
await inFlight(DEPOSITS, (i) => ask<Receipt>(accountId(i), (replyTo) => ({ type: 'deposit', amount: 100 + (i % 900), replyTo })));
const depositMs = performance.now() - started;
console.log(
  `2. deposits    ${number(DEPOSITS)} deposits to ${ACCOUNTS} accounts, ${IN_FLIGHT} in flight: ${depositMs.toFixed(0)} ms → ${number(DEPOSITS / (depositMs / 1000))} events/s (group commit)`,
);

// 3. Transfers: withdraw, then deposit. A refused withdrawal stores nothing.
let done = 0;
let refused = 0;
await inFlight(TRANSFERS, async (i) => {
  const from = accountId(i * 7);
  const to = accountId(i * 13 + 1);
  const amount = 1_000 + ((i * 7919) % 50_000);
  const withdrawn = await ask<Receipt>(from, (replyTo) => ({ type: 'withdraw', amount, replyTo }));
  if (!withdrawn.ok) {
    refused++;
    return;
  }
  await ask<Receipt>(to, (replyTo) => ({ type: 'deposit', amount, replyTo }));
  done++;
});
console.log(`3. transfers   ${number(TRANSFERS)} transfers: ${number(done)} done, ${number(refused)} refused (insufficient funds); refusals are not stored`);

// 4. A bug: the account's handler throws; its supervisor restarts it with backoff and
//    the fresh instance recovers the balance from the journal.
const victim = accountId(6);
const balanceBefore = await balanceOf(victim);
bank.tell({ type: 'to-account', accountId: victim, command: { type: 'glitch' } });
const recovered = await balanceOf(victim);
console.log(`4. a crash     account-${victim} hit a bug, restarted, and recovered ${money(recovered)} (${recovered === balanceBefore ? 'unchanged' : `WAS ${money(balanceBefore)}`})`);

// 5. The projection followed the journal live; it must agree with the accounts.
const after = await sumOfBalances();
let lastOffset = resumedAfter;
for await (const envelope of queries.currentEventsByTag(BANK_TAG, resumedAfter)) lastOffset = envelope.offset;
await ledger.caughtUpTo(lastOffset);
const applied = ledger.projection.status().handled;
const { total } = await ledger.read();
await ledger.stop();
const agrees = total === after;
console.log(
  `5. projection  exactly-once eventsByTag('bank') resumed after offset ${number(resumedAfter)} and applied ${number(applied)} events; its total ${money(total)} ${agrees ? '=' : '≠'} sum of balances ${money(after)}`,
);

await system.terminate();
console.log(`\nRun it again: every balance continues from the journal (run #${run + 1} next).`);
if (!agrees || recovered !== balanceBefore) process.exitCode = 1;
