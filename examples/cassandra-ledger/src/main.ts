/**
 * An account ledger on Cassandra (see README.md). Needs a running Cassandra:
 * `npm start` brings up the repository's test server first (scripts/services).
 *
 * Environment: TROUPE_CASSANDRA_CONTACT_POINTS (default 127.0.0.1:19042),
 * TROUPE_CASSANDRA_LOCAL_DC (default datacenter1), LEDGER_KEYSPACE (default ledger_example;
 * dropped and recreated at every start, so each run begins with an empty ledger).
 */
import { ActorSystem, SupervisorStrategy } from '@troupe/core';
import { Persistence } from '@troupe/persistence';
import { CassandraJournal, CassandraSnapshotStore, CassandraUnreachableError } from '@troupe/persistence-cassandra';
import { Account, type AccountCommand, type Receipt, cents } from './account.js';

const contactPoints = (process.env.TROUPE_CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042').split(',');
const localDataCenter = process.env.TROUPE_CASSANDRA_LOCAL_DC ?? 'datacenter1';
const keyspace = process.env.LEDGER_KEYSPACE ?? 'ledger_example';
const ACCOUNTS = ['alice', 'bob', 'carol'];

async function openStores(): Promise<{ journal: CassandraJournal; snapshots: CassandraSnapshotStore }> {
  // connect() fails at once, naming host:port, when Cassandra is not there.
  const journal = await CassandraJournal.connect({ contactPoints, localDataCenter, keyspace, targetPartitionSize: 16 });
  const snapshots = await CassandraSnapshotStore.connect({ contactPoints, localDataCenter, keyspace: `${keyspace}_snapshots` });
  return { journal, snapshots };
}

function startSystem(name: string, journal: CassandraJournal, snapshots: CassandraSnapshotStore) {
  const system = ActorSystem.create({ name });
  Persistence.configure(system, { journals: { default: journal }, snapshotStores: { default: snapshots } });
  const accounts = new Map(
    ACCOUNTS.map((who) => [who, system.spawn(() => new Account(`account-${who}`), { name: who, supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 200, maxBackoffMs: 5000 }) })]),
  );
  const send = (who: string, build: (replyTo: import('@troupe/core').ActorRef<Receipt>) => AccountCommand): Promise<Receipt> => accounts.get(who)!.ask<Receipt>(build, { timeoutMs: 30_000 });
  return { system, send };
}

async function main(): Promise<void> {
  console.log(`Cassandra at ${contactPoints.join(', ')}, keyspace "${keyspace}" (recreated)`);
  const reset = await CassandraJournal.connect({ contactPoints, localDataCenter, keyspace, createSchema: false }).catch(() => undefined);
  if (reset !== undefined) {
    const client = await reset.client();
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}_snapshots`);
    await reset.close();
  }

  // 1. Deposits and withdrawals: each accepted command is one event in Cassandra.
  let stores = await openStores();
  let { system, send } = startSystem('ledger-1', stores.journal, stores.snapshots);
  console.log('\n1. transactions');
  for (let day = 1; day <= 40; day++) {
    await Promise.all(ACCOUNTS.map((who, i) => send(who, (replyTo) => ({ type: 'deposit', cents: 1000 * (i + 1) + day, replyTo }))));
    if (day % 10 === 0) await send('bob', (replyTo) => ({ type: 'withdraw', cents: 5000, replyTo }));
  }
  const refused = await send('alice', (replyTo) => ({ type: 'withdraw', cents: 10_000_000, replyTo }));
  console.log(`   alice withdraws 100000.00: ${refused.ok ? 'accepted' : `refused (${refused.reason})`}`);
  const before = new Map<string, Receipt>();
  for (const who of ACCOUNTS) {
    const receipt = await send(who, (replyTo) => ({ type: 'balance', replyTo }));
    before.set(who, receipt);
    if (receipt.ok) console.log(`   ${who.padEnd(6)} balance ${cents(receipt.balance).padStart(9)} after ${receipt.seq} events`);
  }
  await system.terminate();

  // 2. A new actor system recovers every account from its snapshot and later events.
  stores = await openStores();
  ({ system, send } = startSystem('ledger-2', stores.journal, stores.snapshots));
  console.log('\n2. recovery in a new actor system');
  let same = true;
  for (const who of ACCOUNTS) {
    const receipt = await send(who, (replyTo) => ({ type: 'balance', replyTo }));
    const old = before.get(who)!;
    same &&= receipt.ok && old.ok && receipt.balance === old.balance && receipt.seq === old.seq;
    if (receipt.ok) console.log(`   ${who.padEnd(6)} balance ${cents(receipt.balance).padStart(9)} recovered (${receipt.seq} events)`);
  }
  console.log(`   recovered state ${same ? 'matches' : 'DOES NOT match'} the state before the restart`);

  // 3. Analytics: read every event of every account across token ranges (eventTable).
  console.log('\n3. eventTable() report (all events, read across token ranges in parallel)');
  const totals = new Map<string, { events: number; net: number; partitions: Set<number> }>();
  const decoder = new TextDecoder();
  for await (const { key, event } of stores.journal.eventTable({ parallelism: 4 })) {
    const stored = JSON.parse(decoder.decode(event.payload)) as { type: string; cents: number };
    const entry = totals.get(key.persistenceId) ?? { events: 0, net: 0, partitions: new Set<number>() };
    entry.events++;
    entry.net += stored.type === 'deposited' ? stored.cents : -stored.cents;
    entry.partitions.add(key.partitionNr);
    totals.set(key.persistenceId, entry);
  }
  for (const [pid, t] of [...totals].sort())
    console.log(`   ${pid.padEnd(14)} ${String(t.events).padStart(3)} events in partitions [${[...t.partitions].sort().join(', ')}], net ${cents(t.net).padStart(9)}`);

  console.log('\n4. inspect it with cqlsh:');
  console.log(`   SELECT sequence_nr, ser_manifest, blobAsText(event) FROM ${keyspace}.messages WHERE persistence_id = 'account-alice' AND partition_nr = 0;`);
  await system.terminate();
  console.log(same ? '\nledger ok' : '\nledger MISMATCH');
  if (!same) process.exitCode = 1;
}

main().catch((error: unknown) => {
  if (error instanceof CassandraUnreachableError) console.error(`${error.message}\nStart Cassandra with: scripts/services start cassandra`);
  else console.error(error);
  process.exitCode = 1;
});
