import { fileURLToPath } from 'node:url';
import { runNodeProgram } from '@troupe/testkit';
import { describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const runNode = (args: readonly string[], timeoutMs: number) => runNodeProgram(args, { cwd: exampleDir, timeoutMs });

describe('example: cluster-ring', () => {
  it('converges 3 nodes, routes keys by the ring, removes a killed node and moves only its keys', async () => {
    const { code, stdout, stderr } = await runNode(['dist/main.js'], 60_000);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('2. converged: every node sees 3 members Up');
    expect(stdout.match(/ {3}user-\d+ +→ 127\.0\.0\.1:\d+#[0-9a-f]+/g)?.length).toBe(12);
    expect(stdout).toMatch(/5\. node 2 unreachable after \d+ ms, removed after \d+ ms/);
    expect(stdout).toContain('7. done: only the removed node’s keys moved');
  }, 70_000);
});
