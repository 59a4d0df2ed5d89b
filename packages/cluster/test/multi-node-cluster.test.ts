import type { MultiNodeHarness } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type NodeReport, addressOf, seesUp, startClusterNodes, stateOf } from './multi-node.js';

let harness: MultiNodeHarness | undefined;

afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

describe('Cluster (5 processes on 127.0.0.1)', () => {
  it('converges: every node sees all 5 members Up and agrees on the leader', async () => {
    harness = await startClusterNodes(5);
    const h = harness;
    const all = h.nodes.map(addressOf);
    await h.waitFor(() => h.nodes.every((n) => seesUp(n, all)), 15_000, '5 nodes Up everywhere');
    const leaders = new Set(h.nodes.map((n) => stateOf(n).leader));
    expect(leaders.size).toBe(1);
    expect([...leaders][0]).toBe([...all].sort((a, b) => Number(a.split(':')[2]?.split('#')[0]) - Number(b.split(':')[2]?.split('#')[0]))[0]);
    // Remote ask across processes through the Echo actor each node runs.
    const reply = await h.request<{ reply: { text: string; from: string } }>(0, { type: 'ask-echo', path: `${all[4]}/user/echo`, text: 'across' });
    expect(reply.reply).toEqual({ type: 'echoed', text: 'across', from: `${all[4]}/user/echo` });
  });

  it('marks a SIGKILLed node unreachable, then removes it, within the measured bound', async () => {
    harness = await startClusterNodes(5);
    const h = harness;
    const all = h.nodes.map(addressOf);
    await h.waitFor(() => h.nodes.every((n) => seesUp(n, all)), 15_000, '5 nodes Up everywhere');
    const victim = all[3] as string;
    const survivors = h.nodes.filter((n) => n.index !== 3);
    const killedAt = performance.now();
    await h.kill(3);
    await h.waitFor(() => survivors.every((n) => stateOf(n).unreachable.includes(victim) || !stateOf(n).members.some((m) => m.address === victim)), 10_000, 'victim unreachable');
    const unreachableAfter = performance.now() - killedAt;
    const rest = all.filter((a) => a !== victim);
    await h.waitFor(() => survivors.every((n) => seesUp(n, rest)), 15_000, 'victim removed everywhere');
    const removedAfter = performance.now() - killedAt;
    console.log(`[measured] heartbeat 200 ms, pause 1500 ms, stable-after 1500 ms: unreachable after ${Math.round(unreachableAfter)} ms, removed after ${Math.round(removedAfter)} ms`);
    expect(unreachableAfter).toBeLessThan(5_000);
    expect(removedAfter).toBeLessThan(8_000);
  });

  it('resolves a 3|2 partition by keeping the 3 running and shutting the 2 down', async () => {
    harness = await startClusterNodes(5);
    const h = harness;
    const all = h.nodes.map(addressOf);
    await h.waitFor(() => h.nodes.every((n) => seesUp(n, all)), 15_000, '5 nodes Up everywhere');
    const majority = all.slice(0, 3);
    const minority = all.slice(3);
    const cutAt = performance.now();
    for (const i of [0, 1, 2]) h.send(i, { type: 'partition', addresses: minority });
    for (const i of [3, 4]) h.send(i, { type: 'partition', addresses: majority });
    await h.waitFor(() => [3, 4].every((i) => h.nodes[i]?.messages.some((m) => (m as NodeReport).type === 'terminated')), 20_000, 'the 2 to shut down');
    const minorityDownAfter = performance.now() - cutAt;
    await h.waitFor(() => [0, 1, 2].every((i) => seesUp(h.nodes[i] as never, majority)), 20_000, 'the 3 to remove the 2');
    console.log(`[measured] partition 3|2: minority shut down after ${Math.round(minorityDownAfter)} ms, removed by the majority after ${Math.round(performance.now() - cutAt)} ms`);
    for (const i of [3, 4]) expect((h.nodes[i]?.messages.find((m) => (m as NodeReport).type === 'terminated') as NodeReport).reason).toBe('downed');
    for (const i of [0, 1, 2]) expect(h.nodes[i]?.alive).toBe(true);
    expect(h.nodes[0]?.messages.some((m) => (m as NodeReport).type === 'terminated')).toBe(false);
  });
});
