import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MultiNodeHarness, type NodeHandle, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { SingletonEvent, SingletonLocation } from '../src/index.js';
import { SECRET } from './fast-settings.js';
import { type NodeReport, addressOf, seesUp, terminationOf } from './multi-node.js';

// Each instance of the singleton appends `start <epoch> <node> <ms>`, `recv <id> <epoch>` and
// `stop <epoch> <node> <ms>` to one file all node processes share; the test appends
// `killed <node>` once a SIGKILLed process has exited. The file's line order is the order
// in which these happened, so "never two live instances" is checked on it directly.

const script = fileURLToPath(new URL('./fixtures/singleton-node.mjs', import.meta.url));
let harness: MultiNodeHarness | undefined;
let dir: string | undefined;

afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

interface Cluster3 {
  readonly h: MultiNodeHarness;
  readonly all: string[];
  readonly log: string;
}

/**
 * `n` node processes, every one Up, with the singleton running on node 0. Each node is
 * started once the ones before it are Up, so their age is their index (nodes joining
 * together would become Up in one leader round, ordered by address).
 */
async function startNodes(n = 3, configOf: (i: number) => Record<string, unknown> = () => ({})): Promise<Cluster3> {
  dir = mkdtempSync(join(tmpdir(), 'troupe-singleton-'));
  const log = join(dir, 'singleton.log');
  appendFileSync(log, '');
  const name = `counter-${process.pid}`;
  const h = await MultiNodeHarness.start({
    script,
    nodes: 1,
    args: (i, started) => [JSON.stringify({ secret: SECRET, seeds: (started as NodeReport[]).slice(0, i).map((r) => r.hostPort), log, name, ...configOf(i) })],
  });
  harness = h;
  for (let i = 0; i < n; i++) {
    if (i > 0) await h.startNode();
    const up = h.nodes.map(addressOf);
    await h.waitFor(() => h.nodes.every((node) => seesUp(node, up)), 20_000, `${i + 1} nodes Up everywhere`);
  }
  const all = h.nodes.map(addressOf);
  await awaitStarted(h, log, 0);
  return { h, all, log };
}

/** Resolves once the singleton has started on node `i`: its event (published at spawn), then its `start` line (written when it runs). */
async function awaitStarted(h: MultiNodeHarness, log: string, i: number): Promise<void> {
  const node = h.nodes[i] as NodeHandle;
  await h.waitFor(() => startedOn(node).length === 1, 30_000, `the singleton to start on node ${i}`);
  await awaitCondition(() => lines(log).some((l) => l[0] === 'start' && l[2] === addressOf(node)), { timeoutMs: 10_000, intervalMs: 10, message: `the start line of node ${i}` });
}

function singletonEvents(node: NodeHandle): SingletonEvent[] {
  return node.messages.filter((m) => (m as { type?: string }).type === 'singleton-event').map((m) => (m as { event: SingletonEvent }).event);
}

function startedOn(node: NodeHandle): SingletonEvent[] {
  return singletonEvents(node).filter((e) => e.type === 'singleton-started');
}

function lines(log: string): string[][] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split(' '));
}

/**
 * Instance lifetimes in file order; throws if a second instance started while another was
 * live (started, neither stopped nor its process killed).
 */
function lifetimes(log: string): { node: string; epoch: string; start: number; end: number | undefined }[] {
  const result: { node: string; epoch: string; start: number; end: number | undefined }[] = [];
  let live: (typeof result)[number] | undefined;
  for (const [i, [kind, a, b]] of lines(log).entries()) {
    if (kind === 'start') {
      if (live !== undefined) throw new Error(`two live instances: epoch ${live.epoch} on ${live.node} (line ${live.start}) and epoch ${a} on ${b} (line ${i})`);
      live = { node: b as string, epoch: a as string, start: i, end: undefined };
      result.push(live);
    } else if (live !== undefined && ((kind === 'stop' && live.epoch === a && live.node === b) || (kind === 'killed' && live.node === a))) {
      live.end = i;
      live = undefined;
    }
  }
  return result;
}

async function where(h: MultiNodeHarness, node: number, deadlineMs: number): Promise<{ reply?: { node: string; epoch: number }; error?: string }> {
  return h.request(node, { type: 'where', timeoutMs: 2000, deadlineMs }, deadlineMs + 10_000);
}

/** The removal margin of the partition test (set to 1 to see it fail). */
const PARTITION_MARGIN_MS = Number(process.env.SINGLETON_PARTITION_MARGIN_MS ?? 3000);

describe('ClusterSingleton (3 processes on 127.0.0.1)', () => {
  it('runs one instance, on the oldest member, and the proxy on every node reaches it', async () => {
    const { h, all, log } = await startNodes();
    for (const i of [0, 1, 2]) {
      const answer = await where(h, i, 5000);
      expect(answer.reply).toEqual({ node: all[0], epoch: 1 });
      const { location } = await h.request<{ location: SingletonLocation }>(i, { type: 'locate' });
      expect(location).toMatchObject({ node: all[0], running: true, epoch: 1 });
    }
    expect(lifetimes(log)).toEqual([{ node: all[0], epoch: '1', start: 0, end: undefined }]);
    for (const i of [1, 2]) expect(startedOn(h.nodes[i] as NodeHandle)).toEqual([]);
  });

  it('hands over when the oldest leaves: the new instance starts after the old one stopped, and no message sent meanwhile is lost', async () => {
    const { h, all, log } = await startNodes();
    const count = 200;
    const sent = ['a', 'b'].flatMap((prefix) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`));
    // Messages keep coming from the two staying nodes (one every 25 ms each, 5 s) through the whole hand-over.
    const sending = Promise.all([h.request(1, { type: 'send-paced', prefix: 'a', count, everyMs: 25 }, 60_000), h.request(2, { type: 'send-paced', prefix: 'b', count, everyMs: 25 }, 60_000)]);
    // Some of it reaches the first instance before node 0 leaves.
    await awaitCondition(() => lines(log).filter((l) => l[0] === 'recv').length >= 10, { timeoutMs: 10_000, intervalMs: 10, message: 'the first instance to handle 10 messages' });
    h.send(0, { type: 'leave' });
    const node1 = h.nodes[1] as NodeHandle;
    await h.waitFor(() => startedOn(node1).length === 1, 20_000, 'the singleton to start on node 1');
    const startedIndex = node1.messages.length;
    await sending;
    // The hand-over happened while messages were being sent, not after.
    expect(node1.messages.slice(startedIndex).some((m) => (m as { type?: string }).type === 'sent')).toBe(true);
    await h.waitFor(() => terminationOf(h.nodes[0] as NodeHandle) !== undefined, 15_000, 'node 0 to leave');
    const recorded = () =>
      new Set(
        lines(log)
          .filter((l) => l[0] === 'recv')
          .map((l) => l[1]),
      );
    await awaitCondition(() => sent.every((id) => recorded().has(id)), { timeoutMs: 10_000, intervalMs: 20, message: 'every message sent to be handled' }).catch(() => {});
    const missing = sent.filter((id) => !recorded().has(id));
    const epochs = new Set(
      lines(log)
        .filter((l) => l[0] === 'recv')
        .map((l) => l[2]),
    );
    console.log(`[measured] hand-over on leave: ${sent.length} messages sent from 2 nodes, one every 25 ms each, across the hand-over; ${missing.length} lost`);
    expect(epochs).toEqual(new Set(['1', '2']));
    expect(missing).toEqual([]);
    const receipts = lines(log).filter((l) => l[0] === 'recv');
    expect(receipts.length).toBe(sent.length);
    const lives = lifetimes(log);
    expect(lives.map((l) => l.node)).toEqual([all[0], all[1]]);
    // The old instance's stop is written before the new one's start.
    expect(lives[0]?.end).toBeDefined();
    expect(lives[0]?.end as number).toBeLessThan(lives[1]?.start as number);
    const stopLine = lines(log).find((l) => l[0] === 'stop') as string[];
    const startLine = lines(log).filter((l) => l[0] === 'start')[1] as string[];
    console.log(`[measured] hand-over gap: the new instance started ${Number(startLine[3]) - Number(stopLine[3])} ms after the old one stopped (hand-over retry 300 ms)`);
    const handedOver = singletonEvents(h.nodes[0] as NodeHandle).find((e) => e.type === 'singleton-handed-over');
    expect(handedOver).toMatchObject({ node: all[0], to: all[1] });
  });

  it('takes over on the next oldest after the oldest is SIGKILLed and downed, where a proxy reaches it', async () => {
    const { h, all, log } = await startNodes();
    await h.kill(0);
    const killedAt = performance.now();
    appendFileSync(log, `killed ${all[0]}\n`);
    const answer = await where(h, 2, 30_000);
    const took = Math.round(performance.now() - killedAt);
    expect(answer.reply).toEqual({ node: all[1], epoch: 2 });
    console.log(
      `[measured] takeover: the singleton answered from node 1 ${took} ms after SIGKILL of the oldest (heartbeat 200 ms, acceptable pause 1500 ms, stable-after 1500 ms, removal margin 1500 ms)`,
    );
    const lives = lifetimes(log);
    expect(lives.map((l) => [l.node, l.end === undefined])).toEqual([
      [all[0], false],
      [all[1], true],
    ]);
  });

  it('never runs two instances across a partition, even when the cut-off oldest notices it later than the majority: the removal margin covers the skew', async () => {
    // The cut-off oldest's failure detector is 1.5 s slower than the majority's, so the majority downs it about 1.5 s
    // before it downs itself: without the removal margin (MARGIN_MS = 1 here) the new instance starts while the old one
    // still runs, and lifetimes() finds two live instances. The 3 s margin covers that skew with 1.5 s to spare.
    const { h, all, log } = await startNodes(3, (i) => ({ marginMs: PARTITION_MARGIN_MS, ...(i === 0 ? { acceptablePauseMs: 3000 } : {}) }));
    h.send(0, { type: 'partition', addresses: [all[1], all[2]] });
    for (const i of [1, 2]) h.send(i, { type: 'partition', addresses: [all[0]] });
    await h.waitFor(() => terminationOf(h.nodes[0] as NodeHandle) !== undefined, 30_000, 'the cut-off oldest to down itself');
    expect(terminationOf(h.nodes[0] as NodeHandle)?.reason).toBe('downed');
    const answer = await where(h, 2, 30_000);
    expect(answer.reply).toEqual({ node: all[1], epoch: 2 });
    const lives = lifetimes(log);
    expect(lives.map((l) => [l.node, l.end === undefined])).toEqual([
      [all[0], false],
      [all[1], true],
    ]);
    const [, stopped, restarted] = lines(log).filter((l) => l[0] === 'stop' || l[0] === 'start');
    console.log(
      `[measured] partition, minority detector slower (acceptable pause 3000 ms vs 1500 ms): the new instance started ${Number(restarted?.[3]) - Number(stopped?.[3])} ms after the old one stopped (removal margin ${PARTITION_MARGIN_MS} ms)`,
    );
  });

  it('moves through a leave, a SIGKILL and a partition in one cluster, each instance stopped or killed before the next starts, epochs growing', { timeout: 90_000 }, async () => {
    const { h, log } = await startNodes(4);
    const nodes = () => h.nodes.map((n) => n);
    const startedAt = (i: number) => awaitStarted(h, log, i);
    h.send(0, { type: 'leave' });
    await startedAt(1);
    await h.kill(1);
    appendFileSync(log, `killed ${addressOf(h.nodes[1] as NodeHandle)}\n`);
    await startedAt(2);
    // A fifth node, so that the partition leaves node 2 alone against two.
    await h.startNode();
    const live = [2, 3, 4].map((i) => addressOf(h.nodes[i] as NodeHandle));
    await h.waitFor(() => [2, 3, 4].every((i) => seesUp(h.nodes[i] as NodeHandle, live)), 20_000, 'nodes 2, 3 and 4 Up everywhere');
    h.send(2, { type: 'partition', addresses: [live[1], live[2]] });
    for (const i of [3, 4]) h.send(i, { type: 'partition', addresses: [live[0]] });
    await startedAt(3);
    await h.waitFor(() => terminationOf(h.nodes[2] as NodeHandle) !== undefined, 20_000, 'the cut-off node 2 to down itself');
    const answer = await where(h, 4, 20_000);
    const lives = lifetimes(log);
    expect(lives.map((l) => l.node)).toEqual([0, 1, 2, 3].map((i) => addressOf(nodes()[i] as NodeHandle)));
    expect(lives.map((l) => l.end === undefined)).toEqual([false, false, false, true]);
    const epochs = lives.map((l) => Number(l.epoch));
    expect(epochs).toEqual([...epochs].sort((x, y) => x - y));
    expect(new Set(epochs).size).toBe(4);
    expect(answer.reply).toEqual({ node: live[1], epoch: epochs[3] });
  });
});
