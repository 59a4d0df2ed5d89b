import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MultiNodeHarness } from '../src/index.js';

const script = fileURLToPath(new URL('./fixtures/echo-node.mjs', import.meta.url));
let harness: MultiNodeHarness | undefined;

afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

describe('MultiNodeHarness', () => {
  it('starts N child processes and receives the first message of each', async () => {
    harness = await MultiNodeHarness.start({ script, nodes: 3, args: (i) => [String(i)] });
    expect(harness.startMessages.map((m) => (m as { index: number }).index)).toEqual([0, 1, 2]);
    expect(new Set(harness.nodes.map((n) => n.process.pid)).size).toBe(3);
  });

  it('answers a request with the reply that carries its id', async () => {
    harness = await MultiNodeHarness.start({ script, nodes: 2, args: (i) => [String(i)] });
    const reply = await harness.request<{ type: string; index: number }>(1, { type: 'ping' });
    expect(reply).toMatchObject({ type: 'pong', index: 1 });
  });

  it('kills a node with SIGKILL and sees it exit', async () => {
    harness = await MultiNodeHarness.start({ script, nodes: 2, args: (i) => [String(i)] });
    await harness.kill(0);
    expect(harness.nodes[0]?.alive).toBe(false);
    expect(harness.nodes[0]?.exit?.signal).toBe('SIGKILL');
    expect(harness.nodes[1]?.alive).toBe(true);
  });

  it('rejects waitFor at the deadline, naming what it waited for', async () => {
    harness = await MultiNodeHarness.start({ script, nodes: 1, args: (i) => [String(i)] });
    await expect(harness.waitFor(() => false, 50, 'the impossible')).rejects.toThrow(/the impossible/);
  });

  it('kills every child on cleanup', async () => {
    harness = await MultiNodeHarness.start({ script, nodes: 2, args: (i) => [String(i)], startOrder: 'parallel' });
    const nodes = harness.nodes;
    await harness.cleanup();
    expect(nodes.every((n) => !n.alive)).toBe(true);
  });
});
