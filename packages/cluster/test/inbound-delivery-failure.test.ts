import type { MultiNodeHarness, NodeHandle } from '@troupe/testkit';
import { awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransportStats } from '../src/index.js';
import { addressOf, seesUp, startClusterNodes } from './multi-node.js';

let harness: MultiNodeHarness | undefined;

afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

type DeadLetterReport = { deadLetters: Record<string, number>; slowHandled: number };

async function twoProcesses(): Promise<[MultiNodeHarness, NodeHandle, NodeHandle]> {
  const h = await startClusterNodes(2);
  harness = h;
  const [a, b] = h.nodes as [NodeHandle, NodeHandle];
  const all = [addressOf(a), addressOf(b)];
  await h.waitFor(() => seesUp(a, all) && seesUp(b, all), 20_000, 'both nodes Up');
  return [h, a, b];
}

async function statsOf(h: MultiNodeHarness, index: number): Promise<TransportStats> {
  return (await h.request<{ stats: TransportStats }>(index, { type: 'stats' })).stats;
}

/** Throws when `node` has exited (an uncaught error ends a node's process). */
function expectAlive(node: NodeHandle): void {
  if (!node.alive) throw new Error(`node ${node.index} exited: ${JSON.stringify(node.exit)}`);
}

/** Node `index` is alive and its echo actor answers an ask from the other node. */
async function expectAnswering(h: MultiNodeHarness, index: number, from: number): Promise<void> {
  const node = h.nodes[index] as NodeHandle;
  expect(node.alive, `node ${index} exited: ${JSON.stringify(node.exit)}`).toBe(true);
  const answer = await h.request<{ reply?: { text: string }; error?: string }>(from, { type: 'ask-echo', path: `${addressOf(node)}/user/echo`, text: 'still there?' }, 10_000);
  expect(answer.error).toBeUndefined();
  expect(answer.reply?.text).toBe('still there?');
}

describe('Remoting: an inbound message whose delivery throws (2 processes on 127.0.0.1)', () => {
  it('dead-letters and counts a flood into a full `fail` mailbox, delivers the rest of each frame, and keeps the node serving', async () => {
    const [h, a] = await twoProcesses();
    await h.request(0, { type: 'spawn-slow', capacity: 4 });
    const slow = `${addressOf(a)}/user/slow`;
    const flooded = await h.request<{ sent: number }>(1, { type: 'flood', path: slow, count: 10_000, burst: 500 }, 60_000);
    expect(flooded.sent).toBe(10_000);

    // Every message was delivered to the mailbox: handled by the slow actor, or refused by its full mailbox.
    let report: DeadLetterReport = { deadLetters: {}, slowHandled: 0 };
    await awaitCondition(
      async () => {
        expectAlive(a);
        report = await h.request<DeadLetterReport>(0, { type: 'dead-letters' });
        return report.slowHandled + (report.deadLetters['mailbox-full'] ?? 0) === 10_000;
      },
      { timeoutMs: 60_000, intervalMs: 100, message: 'all 10,000 messages handled or dead-lettered on node A' },
    );
    await expectAnswering(h, 0, 1);
    const overflowed = report.deadLetters['mailbox-full'] ?? 0;
    expect(overflowed).toBeGreaterThan(0);
    expect(report.slowHandled).toBeGreaterThan(0);
    const stats = await statsOf(h, 0);
    // Each refusal is one counted delivery failure, and nothing else failed.
    expect(stats.deliveryFailures).toBe(overflowed);
    expect(stats.callbackErrors).toBe(0);
  }, 120_000);

  it('dead-letters a message that makes a consistent-hashing router reached by path throw, and delivers what follows it in the frame', async () => {
    const [h, a] = await twoProcesses();
    await h.request(0, { type: 'spawn-hashing-router', name: 'hashed' });
    const router = `${addressOf(a)}/user/hashed`;
    // One frame: a message the key function throws on (no `key`), then one it routes.
    await h.request(1, {
      type: 'tell-batch',
      messages: [
        { path: router, message: { type: 'echo', text: 'no key' } },
        { path: router, message: { type: 'echo', key: 'k1', text: 'after the bad one', replyTo: true } },
      ],
    });
    let collected: { text: string }[] = [];
    await awaitCondition(
      async () => {
        expectAlive(a);
        collected = (await h.request<{ collected: { text: string }[] }>(1, { type: 'collected' })).collected;
        return collected.length > 0;
      },
      { timeoutMs: 20_000, intervalMs: 100, message: 'the routed message answered' },
    );
    expect(collected.map((m) => m.text)).toEqual(['after the bad one']);
    const report = await h.request<DeadLetterReport>(0, { type: 'dead-letters' });
    expect(report.deadLetters['delivery-failed']).toBe(1);
    const stats = await statsOf(h, 0);
    expect(stats.deliveryFailures).toBe(1);
    expect(stats.callbackErrors).toBe(0);
    await expectAnswering(h, 0, 1);
  }, 60_000);
});
