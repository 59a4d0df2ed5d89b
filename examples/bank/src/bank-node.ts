/**
 * One node of the cluster demo, run as a child process by cluster-demo.ts: it joins the
 * cluster, hosts its share of the sharded `Account` entities on the SQLite journal file
 * every node shares, and carries out the demo's deposits, transfers and status queries
 * through `entityRefFor`, as the driver asks over IPC. It reports its membership changes.
 */
import { Cluster, ClusterSharding, EntityTypeKey } from '@troupe/cluster';
import { SupervisorStrategy, silentLogger } from '@troupe/core';
import { Persistence, SqliteJournal, SqliteSnapshotStore } from '@troupe/persistence';
import { Account, type AccountCommand, type AccountStatus, type Receipt } from './account.js';
import type { BankNodeCommand, BankNodeConfig, BankNodeReport, TransferOutcome } from './bank-node-protocol.js';

/** The sharded entity type: the same name on every node. */
const AccountType = EntityTypeKey.of<AccountCommand>('account');

const config = JSON.parse(process.argv[2] ?? '') as BankNodeConfig;
const { timings } = config;
const cluster = await Cluster.start({
  name: 'bank',
  host: '127.0.0.1',
  port: 0,
  secret: config.secret,
  seeds: config.seeds,
  gossipIntervalMs: timings.gossipIntervalMs,
  retryJoinMs: timings.gossipIntervalMs,
  failureDetector: { heartbeatIntervalMs: timings.heartbeatIntervalMs, acceptableHeartbeatPauseMs: timings.acceptableHeartbeatPauseMs },
  downing: { strategy: 'keep-majority', stableAfterMs: timings.stableAfterMs },
  system: { logger: silentLogger },
});
Persistence.configure(cluster.system, {
  journals: { default: new SqliteJournal({ path: `${config.dataDir}/journal.db` }) },
  snapshotStores: { default: new SqliteSnapshotStore({ path: `${config.dataDir}/snapshots.db` }) },
});
const sharding = ClusterSharding.get(cluster);
sharding.init({
  typeKey: AccountType,
  create: (accountId) => new Account(accountId),
  numberOfShards: timings.numberOfShards,
  retryIntervalMs: timings.shardRetryIntervalMs,
  stopMessage: { type: 'stop' },
  supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 100, maxBackoffMs: 2_000, randomFactor: 0.2 }),
});

const send = (report: BankNodeReport): void => void process.send?.(report);
const account = (id: string) => sharding.entityRefFor(AccountType, id);
const ASK = { timeoutMs: 10_000 };

send({ type: 'started', address: cluster.selfAddress, hostPort: cluster.hostPort, pid: process.pid });
cluster.subscribe((event) =>
  send({ type: 'member', event: event.type, member: 'member' in event ? event.member.address : undefined, members: cluster.state.members.map((m) => ({ address: m.address, status: m.status })) }),
);

async function transfer(from: string, to: string, amount: number): Promise<TransferOutcome> {
  const withdrawn = await account(from).ask<Receipt>((replyTo) => ({ type: 'withdraw', amount, replyTo }), ASK);
  if (!withdrawn.ok) return 'refused';
  const deposited = await account(to).ask<Receipt>((replyTo) => ({ type: 'deposit', amount, replyTo }), ASK);
  if (!deposited.ok) throw new Error(`deposit of ${amount} to account ${to} refused: ${deposited.reason}`);
  return 'done';
}

/** Asks until the account answers (an ask to a node that just died is lost: it times out and is sent again) or the deadline passes. */
async function statusOf(id: string, attemptTimeoutMs: number, deadline: number, requestId: number): Promise<AccountStatus> {
  for (;;) {
    try {
      const status = await account(id).ask<AccountStatus>((replyTo) => ({ type: 'status', replyTo }), { timeoutMs: attemptTimeoutMs });
      send({ type: 'answered', progressOf: requestId, id, status });
      return status;
    } catch (error) {
      if (performance.now() + attemptTimeoutMs > deadline) throw error;
    }
  }
}

async function handle(command: BankNodeCommand): Promise<void> {
  switch (command.type) {
    case 'deposit': {
      const receipts = await Promise.all(command.ops.map((op) => account(op.id).ask<Receipt>((replyTo) => ({ type: 'deposit', amount: op.amount, replyTo }), ASK)));
      send({ type: 'receipts', replyTo: command.requestId, receipts });
      return;
    }
    case 'transfer': {
      const outcomes = await Promise.all(command.ops.map((op) => transfer(op.from, op.to, op.amount)));
      send({ type: 'transferred', replyTo: command.requestId, outcomes });
      return;
    }
    case 'status': {
      const deadline = performance.now() + command.deadlineMs;
      const statuses = await Promise.all(command.ids.map((id) => statusOf(id, command.attemptTimeoutMs, deadline, command.requestId)));
      send({ type: 'statuses', replyTo: command.requestId, statuses });
      return;
    }
    case 'leave': {
      await cluster.leave();
      // Exits once the answer has been handed to the IPC channel, so the driver always gets it.
      const left: BankNodeReport = { type: 'left', replyTo: command.requestId };
      process.send?.(left, () => process.exit(0));
      return;
    }
  }
}

// A failed command ends the node with its reason rather than as an unhandled rejection; the driver reports it.
process.on('message', (command: BankNodeCommand) => {
  handle(command).catch((error: unknown) => {
    console.error(`bank node ${cluster.hostPort}: ${String(error)}`);
    process.exit(1);
  });
});
// The driver is gone (it ended or was killed): so is this node.
process.on('disconnect', () => process.exit(0));
