import { fileURLToPath } from 'node:url';
import { MultiNodeHarness, type NodeHandle } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { SECRET } from './fast-settings.js';
import { type NodeReport, addressOf, seesUp } from './multi-node.js';

type ListingReport = { type: 'listing'; at: number; paths: string[] };

const script = fileURLToPath(new URL('./fixtures/receptionist-node.mjs', import.meta.url));
let harness: MultiNodeHarness | undefined;

afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

async function cluster(n: number): Promise<{ h: MultiNodeHarness; all: string[] }> {
  const key = `workers-${process.pid}-${Date.now()}`;
  const h = await MultiNodeHarness.start({
    script,
    nodes: n,
    startOrder: 'sequential',
    args: (i, started) => [JSON.stringify({ secret: SECRET, seeds: i === 0 ? [] : [(started[0] as NodeReport).hostPort], key })],
  });
  harness = h;
  const all = h.nodes.map(addressOf);
  await h.waitFor(() => h.nodes.every((node) => seesUp(node, all)), 20_000, `${n} nodes Up everywhere`);
  return { h, all };
}

const listings = (node: NodeHandle) => node.messages.filter((m) => (m as ListingReport).type === 'listing') as ListingReport[];
const latest = (node: NodeHandle) => listings(node).at(-1)?.paths;
const same = (a: readonly string[] | undefined, b: readonly string[]) => a !== undefined && a.length === b.length && [...a].sort().every((p, i) => p === [...b].sort()[i]);
/** When `node` first listed exactly `paths` after `since` (wall clock). */
const firstListedAt = (node: NodeHandle, paths: readonly string[], since: number) => listings(node).find((l) => l.at >= since && same(l.paths, paths))?.at;

function summary(ms: number[]): string {
  const sorted = [...ms].sort((x, y) => x - y);
  const at = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number).toFixed(1);
  return `n=${sorted.length} min ${at(0)} ms, median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms`;
}

describe('Receptionist (node processes on 127.0.0.1)', () => {
  it('registrations appear on every other node, answer from there, and a stopped registrant or a deregistration disappears everywhere', async () => {
    const { h } = await cluster(3);
    const propagation: number[] = [];
    const withdrawal: number[] = [];
    const registered: string[] = [];
    // Register from each node in turn: every other node (and the registering one) must list each new set.
    for (let round = 0; round < 9; round++) {
      const origin = round % 3;
      const { path, at } = await h.request<{ path: string; at: number }>(origin, { type: 'register', name: `w${round}` });
      registered.push(path);
      const expected = [...registered];
      await h.waitFor(() => h.nodes.every((node) => same(latest(node), expected)), 10_000, `registration ${round} listed on every node`);
      for (const [i, node] of h.nodes.entries()) if (i !== origin) propagation.push((firstListedAt(node, expected, at) as number) - at);
    }
    const answers = await h.request<{ answers: string[] }>(2, { type: 'ping-all' }, 20_000);
    expect([...answers.answers].sort()).toEqual([...registered].sort());

    // A subscriber saw every addition in order: the listings of node 0 grew one registration at a time.
    const sizes = listings(h.nodes[0] as NodeHandle).map((l) => l.paths.length);
    expect(sizes[0]).toBe(0);
    for (let n = 1; n <= 9; n++) expect(sizes).toContain(n);

    // The actor registered as w1 (on node 1) stops; w2 (on node 2) is deregistered.
    const stopped = await h.request<{ at: number }>(1, { type: 'stop', name: 'w1' });
    const withoutW1 = registered.filter((p) => !p.endsWith('/user/w1'));
    await h.waitFor(() => h.nodes.every((node) => same(latest(node), withoutW1)), 10_000, 'the stopped registrant withdrawn everywhere');
    for (const i of [0, 2]) withdrawal.push((firstListedAt(h.nodes[i] as NodeHandle, withoutW1, stopped.at) as number) - stopped.at);
    const dereg = await h.request<{ at: number }>(2, { type: 'deregister', name: 'w2' });
    const withoutW2 = withoutW1.filter((p) => !p.endsWith('/user/w2'));
    await h.waitFor(() => h.nodes.every((node) => same(latest(node), withoutW2)), 10_000, 'the deregistration seen everywhere');
    for (const i of [0, 1]) withdrawal.push((firstListedAt(h.nodes[i] as NodeHandle, withoutW2, dereg.at) as number) - dereg.at);
    console.log(`[measured] receptionist, 3 processes: register → listed on another node: ${summary(propagation)}; stop/deregister → withdrawn there: ${summary(withdrawal)}`);

    // A node that joins now gets the full state at once.
    const joiner = await h.startNode();
    await h.waitFor(() => same(latest(joiner), withoutW2), 15_000, 'the joining node lists every registration');
  }, 60_000);

  it('SIGKILL of a node removes its registrants from every survivor once the node is downed', async () => {
    const { h, all } = await cluster(3);
    const paths: string[] = [];
    for (const i of [0, 1, 2]) paths.push((await h.request<{ path: string }>(i, { type: 'register', name: `on-${i}` })).path);
    await h.waitFor(() => h.nodes.every((node) => same(latest(node), paths)), 10_000, 'every registration listed everywhere');

    const killedAt = performance.timeOrigin + performance.now();
    await h.kill(2);
    const survivors = [0, 1].map((i) => h.nodes[i] as NodeHandle);
    const remaining = paths.slice(0, 2);
    await h.waitFor(() => survivors.every((node) => same(latest(node), remaining)), 30_000, 'the killed node’s registrant withdrawn on both survivors');
    // Withdrawn because the node was downed, not on suspicion: each survivor had reported it Down (or gone) before the listing without it.
    for (const node of survivors) {
      const withdrawnAt = node.messages.findIndex((m) => (m as ListingReport).type === 'listing' && (m as ListingReport).at >= killedAt && same((m as ListingReport).paths, remaining));
      const before = node.messages.slice(0, withdrawnAt).filter((m) => (m as NodeReport).type === 'state') as NodeReport[];
      const victim = before.at(-1)?.members.find((m) => m.address === all[2]);
      expect(victim === undefined || victim.status === 'down').toBe(true);
    }
    await h.waitFor(() => survivors.every((node) => seesUp(node, all.slice(0, 2))), 10_000, 'the killed node removed');
    const gone = survivors.map((node) => Math.round((firstListedAt(node, remaining, killedAt) as number) - killedAt));
    console.log(`[measured] receptionist: SIGKILLed node's registrant withdrawn on the survivors ${gone.join(' / ')} ms after the kill (heartbeat 200 ms, pause 1500 ms, stable-after 1500 ms)`);
    const answers = await h.request<{ answers: string[] }>(0, { type: 'ping-all' }, 20_000);
    expect([...answers.answers].sort()).toEqual([...remaining].sort());
  }, 60_000);
});
