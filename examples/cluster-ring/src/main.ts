/**
 * cluster-ring: starts three Troupe cluster nodes as local processes on 127.0.0.1,
 * shows membership converging, routes keys through the consistent hash ring, kills
 * one node with SIGKILL and shows it being marked unreachable, downed and removed
 * (and which keys move).
 *
 *   npm start
 */
import { fileURLToPath } from 'node:url';
import { MultiNodeHarness, type NodeHandle } from '@troupe/testkit';

type Started = { type: 'started'; address: string; hostPort: string };
type EventReport = { type: 'event'; event: string; member?: string; members: { address: string; status: string }[]; unreachable: string[] };

const script = fileURLToPath(new URL('./node.js', import.meta.url));
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s`;
const short = (address: string) => address.replace(/^troupe:\/\/ring@/, '');
const last = (node: NodeHandle) => [...node.messages].reverse().find((m) => (m as EventReport).type === 'event') as EventReport | undefined;
const upEverywhere = (nodes: readonly NodeHandle[], count: number) =>
  nodes.every((n) => {
    const s = last(n);
    return s !== undefined && s.members.length === count && s.members.every((m) => m.status === 'up');
  });

console.log('1. starting 3 nodes on 127.0.0.1 (random ports)…');
const harness = await MultiNodeHarness.start({
  script,
  nodes: 3,
  args: (i, started) => (i === 0 ? [] : [(started[0] as Started).hostPort]),
});
try {
  const addresses = harness.startMessages.map((m) => (m as Started).address);
  addresses.forEach((a, i) => console.log(`   node ${i}: ${short(a)}`));
  let printed = 0;
  const printEvents = () => {
    const node0 = harness.nodes[0] as NodeHandle;
    for (const m of node0.messages.slice(printed)) {
      const e = m as EventReport;
      if (e.type === 'event' && e.member !== undefined) console.log(`   [${elapsed()}] node 0 sees ${e.event} ${short(e.member)}`);
    }
    printed = node0.messages.length;
  };
  await harness.waitFor(() => (printEvents(), upEverywhere(harness.nodes, 3)), 20_000, 'membership to converge');
  console.log(`2. converged: every node sees 3 members Up (${elapsed()})`);

  const keys = Array.from({ length: 12 }, (_, i) => `user-${i}`);
  const before = (await harness.request<{ placements: Record<string, string> }>(0, { type: 'route', keys })).placements;
  console.log('3. keys routed by the consistent hash ring:');
  for (const key of keys) console.log(`   ${key.padEnd(8)} → ${short(before[key] as string)}`);

  console.log(`4. killing node 2 (${short(addresses[2] as string)}) with SIGKILL…`);
  const killedAt = performance.now();
  await harness.kill(2);
  const survivors = harness.nodes.slice(0, 2);
  await harness.waitFor(() => (printEvents(), survivors.every((n) => last(n)?.unreachable.includes(addresses[2] as string) === true)), 20_000, 'node 2 unreachable');
  const unreachableMs = performance.now() - killedAt;
  await harness.waitFor(() => (printEvents(), upEverywhere(survivors, 2)), 20_000, 'node 2 removed');
  const removedMs = performance.now() - killedAt;
  console.log(`5. node 2 unreachable after ${Math.round(unreachableMs)} ms, removed after ${Math.round(removedMs)} ms`);

  const after = (await harness.request<{ placements: Record<string, string> }>(0, { type: 'route', keys })).placements;
  const moved = keys.filter((k) => before[k] !== after[k]);
  console.log(`6. keys routed again over 2 nodes: ${moved.length} of ${keys.length} moved, all of them from the removed node:`);
  for (const key of moved) console.log(`   ${key.padEnd(8)} ${short(before[key] as string)} → ${short(after[key] as string)}`);
  const onlyFromRemoved = moved.every((k) => before[k] === addresses[2]);
  console.log(onlyFromRemoved ? '7. done: only the removed node’s keys moved' : '7. unexpected: keys moved between surviving nodes');
  process.exitCode = onlyFromRemoved ? 0 : 1;
} finally {
  await harness.cleanup();
}
