import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MultiNodeHarness, awaitCondition } from '../src/index.js';

const script = fileURLToPath(new URL('./fixtures/echo-node.mjs', import.meta.url));
let harness: MultiNodeHarness | undefined;

/** The scheduler state of a process ('T' when stopped), read from /proc (Linux). */
const procState = (pid: number | undefined) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];

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

  it.runIf(existsSync('/proc/self/stat'))('freezes a node with suspend (SIGSTOP) and lets it run again with resume (SIGCONT)', async () => {
    harness = await MultiNodeHarness.start({ script, nodes: 2, args: (i) => [String(i)] });
    const h = harness;
    const pid = h.nodes[0]?.process.pid;
    h.suspend(0);
    await awaitCondition(() => procState(pid) === 'T', { timeoutMs: 5000, message: 'node 0 stopped' });
    // A command sent while frozen waits in the IPC channel and is answered after resume.
    const reply = h.request<{ type: string; index: number }>(0, { type: 'ping' }, 10_000);
    expect(procState(pid)).toBe('T');
    expect(h.nodes[0]?.alive).toBe(true);
    h.resume(0);
    await expect(reply).resolves.toMatchObject({ type: 'pong', index: 0 });
    expect(procState(pid)).not.toBe('T');
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
