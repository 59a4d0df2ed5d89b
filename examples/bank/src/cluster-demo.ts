// The main demo (`npm start`): a 3-node cluster on this machine hosting sharded, event-sourced
// bank accounts on one SQLite journal file the nodes share. It shows where the accounts live,
// moves money between them through entity refs, kills one node with SIGKILL, and shows that
// node's accounts answering again from the survivors with their balances intact.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertSupportedNode } from '@troupe/core';
import { MultiNodeHarness, type NodeHandle } from '@troupe/testkit';
import type { AccountStatus, Receipt } from './account.js';
import type { BankNodeCommand, BankNodeConfig, BankNodeReport, DemoTimings, TransferOutcome } from './bank-node-protocol.js';

// An old Node fails here, in one line, rather than inside three node processes' stack traces.
try {
  assertSupportedNode();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

type Report<T extends BankNodeReport['type']> = Extract<BankNodeReport, { type: T }>;
type Command = BankNodeCommand extends infer C ? (C extends { requestId: number } ? Omit<C, 'requestId'> : never) : never;

/** Quicker than the cluster defaults (heartbeat 1 s, pause 3 s, stable-after 7 s) so the failover takes seconds, yet clear of false alarms on a busy laptop. */
const TIMINGS: DemoTimings = {
  gossipIntervalMs: 200,
  heartbeatIntervalMs: 200,
  acceptableHeartbeatPauseMs: 1500,
  stableAfterMs: 1500,
  numberOfShards: 100,
  shardRetryIntervalMs: 300,
};
const NODES = 3;
const ACCOUNTS = 30;
const DEPOSITS_PER_ACCOUNT = 10;
const TRANSFERS = 90;

const t0 = performance.now();
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const duration = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : seconds(ms));
const money = (cents: number): string => `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const ids = Array.from({ length: ACCOUNTS }, (_, i) => `${i + 1}`);
const expected = new Map<string, number>(ids.map((id) => [id, 0]));
const sum = (values: Iterable<number>): number => [...values].reduce((a, b) => a + b, 0);
let failures = 0;
const check = (ok: boolean, what: string): void => {
  if (ok) return;
  failures++;
  console.log(`   FAILED: ${what}`);
};

const dataDir = mkdtempSync(join(tmpdir(), 'troupe-bank-cluster-'));
const script = fileURLToPath(new URL('./bank-node.js', import.meta.url));
const secret = `bank-demo-${process.pid}-${Date.now()}`;

console.log(`Troupe demo: sharded, event-sourced bank accounts on a ${NODES}-node cluster on this machine`);
console.log(`journal: ${dataDir}/journal.db, one SQLite file all nodes share (removed at the end)`);
console.log(
  `settings: heartbeat ${TIMINGS.heartbeatIntervalMs} ms, acceptable pause ${TIMINGS.acceptableHeartbeatPauseMs} ms, gossip ${TIMINGS.gossipIntervalMs} ms; ` +
    `downing keep-majority once stable for ${TIMINGS.stableAfterMs} ms; ${TIMINGS.numberOfShards} shards\n`,
);

const harness = await MultiNodeHarness.start({
  script,
  nodes: NODES,
  startOrder: 'sequential',
  startTimeoutMs: 30_000,
  args: (i, started) => {
    const config: BankNodeConfig = { secret, seeds: i === 0 ? [] : [(started[0] as Report<'started'>).hostPort], dataDir, timings: TIMINGS };
    return [JSON.stringify(config)];
  },
});
// Ctrl-C: stop the nodes and remove the journal folder before going.
process.once('SIGINT', () => {
  void harness.cleanup().finally(() => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(130);
  });
});
try {
  const started = harness.startMessages as Report<'started'>[];
  const addresses = started.map((s) => s.address);
  const name = (address: string): string => `node-${addresses.indexOf(address) + 1}`;
  const reportsOf = <T extends BankNodeReport['type']>(node: NodeHandle, type: T): Report<T>[] => (node.messages as BankNodeReport[]).filter((m): m is Report<T> => m.type === type);
  const membersOf = (node: NodeHandle) => reportsOf(node, 'member').at(-1)?.members ?? [];
  const seesUp = (node: NodeHandle, expectedUp: readonly string[]) => {
    const members = membersOf(node);
    return members.length === expectedUp.length && members.every((m) => m.status === 'up' && expectedUp.includes(m.address));
  };
  const request = <R extends BankNodeReport>(node: number, command: Command, timeoutMs = 60_000): Promise<R> => harness.request<R>(node, command, timeoutMs);
  const statuses = async (node: number, accounts: readonly string[], attemptTimeoutMs = 5_000): Promise<readonly AccountStatus[]> =>
    (await request<Report<'statuses'>>(node, { type: 'status', ids: accounts, attemptTimeoutMs, deadlineMs: 60_000 })).statuses;

  // 1. The cluster: node-1 founds it, the others join through it.
  await harness.waitFor(() => harness.nodes.every((n) => seesUp(n, addresses)), 30_000, `${NODES} nodes Up everywhere`);
  console.log(`1. cluster     ${NODES} node processes on 127.0.0.1; every one sees ${NODES} members Up after ${seconds(performance.now() - t0)}`);
  for (const s of started) console.log(`                ${name(s.address)}  pid ${s.pid}  ${s.address}`);

  // 2. Deposits, sent from every node through entityRefFor: an account starts on its first message, wherever its shard lives.
  const deposits = Array.from({ length: ACCOUNTS * DEPOSITS_PER_ACCOUNT }, (_, i) => ({ id: ids[i % ACCOUNTS] as string, amount: 1_000 + ((i * 7_919) % 9_000) }));
  let t = performance.now();
  const depositReceipts = await Promise.all(
    Array.from({ length: NODES }, async (_, node) => {
      const ops = deposits.filter((_d, i) => i % NODES === node);
      const { receipts } = await request<Report<'receipts'>>(node, { type: 'deposit', ops });
      receipts.forEach((receipt, i) => {
        const op = ops[i] as (typeof ops)[number];
        if (receipt.ok) expected.set(op.id, (expected.get(op.id) ?? 0) + op.amount);
      });
      return receipts;
    }),
  );
  const stored = depositReceipts.flat().filter((r) => r.ok).length;
  check(stored === deposits.length, `${deposits.length - stored} deposits refused`);
  console.log(
    `2. deposits    ${deposits.length} deposits into ${ACCOUNTS} accounts through entityRefFor(account, id), a third sent from each node: ` +
      `${stored} stored in ${duration(performance.now() - t)}; the bank holds ${money(sum(expected.values()))}`,
  );

  // 3. Placement: each account says which node hosts it.
  const placed = await statuses(0, ids);
  const host = new Map(ids.map((id, i) => [id, (placed[i] as AccountStatus).node]));
  console.log(`3. placement   the accounts' shards are spread over the nodes by a hash ring over the Up members:`);
  for (const address of addresses) {
    const hosted = ids.filter((id) => host.get(id) === address);
    console.log(`                ${name(address)} hosts ${String(hosted.length).padStart(2)} accounts: ${hosted.map((id) => `#${id}`).join(' ')}`);
  }
  check(
    addresses.every((a) => ids.some((id) => host.get(id) === a)),
    'every node hosts accounts',
  );

  // 4. Transfers: withdraw from one account, then deposit into another, each through its entity ref.
  const transfers = Array.from({ length: TRANSFERS }, (_, i) => {
    const from = ids[(i * 7) % ACCOUNTS] as string;
    const to = ids[(i * 13 + 5) % ACCOUNTS] as string;
    return { from, to, amount: 2_000 + ((i * 7_919) % 40_000) };
  }).filter((op) => op.from !== op.to);
  const crossNode = transfers.filter((op) => host.get(op.from) !== host.get(op.to)).length;
  t = performance.now();
  const outcomes: TransferOutcome[] = (
    await Promise.all(
      Array.from({ length: NODES }, async (_, node) => {
        const ops = transfers.filter((_op, i) => i % NODES === node);
        const { outcomes: done } = await request<Report<'transferred'>>(node, { type: 'transfer', ops });
        done.forEach((outcome, i) => {
          const op = ops[i] as (typeof ops)[number];
          if (outcome !== 'done') return;
          expected.set(op.from, (expected.get(op.from) ?? 0) - op.amount);
          expected.set(op.to, (expected.get(op.to) ?? 0) + op.amount);
        });
        return done;
      }),
    )
  ).flat();
  const refused = outcomes.filter((o) => o === 'refused').length;
  const afterTransfers = await statuses(0, ids);
  const mismatched = ids.filter((id, i) => afterTransfers[i]?.balance !== expected.get(id));
  check(mismatched.length === 0, `balances of ${mismatched.map((id) => `#${id}`).join(' ')} differ from the acknowledged operations`);
  console.log(
    `4. transfers   ${transfers.length} transfers (withdraw, then deposit; ${crossNode} between accounts on different nodes) in ${duration(performance.now() - t)}: ` +
      `${outcomes.length - refused} done, ${refused} refused for insufficient funds (nothing stored)`,
  );
  console.log(`                every balance equals what its acknowledged operations add up to; the bank still holds ${money(sum(afterTransfers.map((s) => s.balance)))}`);

  // 5. SIGKILL the node (other than node-1, which drives the checks) that hosts the most accounts.
  const victim = [1, 2].reduce((a, b) => (ids.filter((id) => host.get(id) === addresses[b]).length > ids.filter((id) => host.get(id) === addresses[a]).length ? b : a));
  const victimAddress = addresses[victim] as string;
  const lost = ids.filter((id) => host.get(id) === victimAddress);
  const [observer, other] = [0, 1, 2].filter((i) => i !== victim) as [number, number];
  console.log(
    `5. SIGKILL     ${name(victimAddress)} (pid ${started[victim]?.pid}) is killed without warning; it hosted ${lost.length} accounts holding ${money(sum(lost.map((id) => expected.get(id) ?? 0)))}`,
  );
  // Arrival times of the observer's reports: when it saw the victim become unreachable, downed and removed, and each account answer.
  const seen = new Map<string, number>();
  (harness.nodes[observer] as NodeHandle).process.on('message', (report: BankNodeReport) => {
    if (report.type === 'member' && report.member === victimAddress && !seen.has(report.event)) seen.set(report.event, performance.now());
    if (report.type === 'answered') seen.set(`#${report.id}`, performance.now());
  });
  const killedAt = performance.now();
  await harness.kill(victim);
  // The survivor asks each of those accounts until it answers: an ask routed to the dead node is lost and sent again
  // after 500 ms, until the failure detector and the downing strategy take the node out of the ring and a survivor
  // recovers the account from the journal on its first message there.
  const { statuses: recovered } = await request<Report<'statuses'>>(observer, { type: 'status', ids: lost, attemptTimeoutMs: 500, deadlineMs: 60_000 }, 90_000);
  const after = (key: string): string => seconds((seen.get(key) as number) - killedAt);
  const allAnswered = Math.max(...lost.map((id) => seen.get(`#${id}`) ?? performance.now()));
  const membership = ['unreachable-member', 'member-downed', 'member-removed'].filter((event) => seen.has(event));
  const words: Record<string, string> = { 'unreachable-member': 'unreachable', 'member-downed': 'downed', 'member-removed': 'removed' };
  console.log(`                ${name(addresses[observer] as string)} saw it ${membership.map((event) => `${words[event]} after ${after(event)}`).join(', ')}`);
  console.log(`6. failover    all ${lost.length} accounts of ${name(victimAddress)} answered again from the survivors ${seconds(allAnswered - killedAt)} after the kill:`);
  const before = new Map(ids.map((id, i) => [id, (afterTransfers[i] as AccountStatus).balance]));
  for (const [i, id] of lost.entries()) {
    const status = recovered[i] as AccountStatus;
    const intact = status.balance === expected.get(id) && status.balance === before.get(id) && status.node !== victimAddress;
    check(intact, `account #${id} answered ${money(status.balance)} from ${name(status.node)}, expected ${money(expected.get(id) ?? 0)}`);
    console.log(
      `                #${id.padEnd(3)} before ${money(before.get(id) ?? 0).padStart(9)}  now ${money(status.balance).padStart(9)}  ${intact ? 'intact' : 'WRONG '}  ` +
        `(${status.events} events, now on ${name(status.node)}, answered after ${after(`#${id}`)})`,
    );
  }

  // 7. The moved accounts keep working on their new nodes, and the whole bank adds up.
  const oneDollar = ids.map((id) => ({ id, amount: 100 }));
  const { receipts: last } = await request<Report<'receipts'>>(other, { type: 'deposit', ops: oneDollar });
  for (const [i, receipt] of last.entries()) {
    const id = ids[i] as string;
    if (receipt.ok) expected.set(id, (expected.get(id) ?? 0) + 100);
    check(receipt.ok && receipt.balance === expected.get(id), `the $1.00 deposit to #${id} answered ${JSON.stringify(receipt satisfies Receipt)}`);
  }
  const final = await statuses(other, ids);
  const finalMismatch = ids.filter((id, i) => final[i]?.balance !== expected.get(id));
  check(finalMismatch.length === 0, `final balances of ${finalMismatch.map((id) => `#${id}`).join(' ')} differ`);
  console.log(
    `7. afterwards  $1.00 more into each of the ${ACCOUNTS} accounts from ${name(addresses[other] as string)}: all stored; ` +
      `${ACCOUNTS - finalMismatch.length} of ${ACCOUNTS} balances as expected; the bank holds ${money(sum(final.map((s) => s.balance)))}`,
  );

  // 8. A clean end: the survivors leave the cluster one after the other (handing their shards over) and exit.
  for (const node of [other, observer]) await request<Report<'left'>>(node, { type: 'leave' }, 30_000);
  await harness.waitFor(() => harness.nodes.every((n) => !n.alive), 30_000, 'every node process to exit');
  const cleanExits = [other, observer].every((i) => harness.nodes[i]?.exit?.code === 0);
  check(cleanExits, `a survivor exited with ${JSON.stringify([other, observer].map((i) => harness.nodes[i]?.exit))}`);
  console.log(`8. shutdown    ${name(addresses[other] as string)} and ${name(addresses[observer] as string)} left the cluster and exited with code 0; all ${NODES} node processes are gone`);
} finally {
  await harness.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(failures === 0 ? `\nDone in ${seconds(performance.now() - t0)}.` : `\n${failures} check(s) FAILED.`);
process.exitCode = failures === 0 ? 0 : 1;
