import { fileURLToPath } from 'node:url';
import { runNodeProgram } from '@troupe/testkit';
import { describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const runNode = (args: readonly string[], timeoutMs: number) => runNodeProgram(args, { cwd: exampleDir, timeoutMs });

describe('example: ping-pong', () => {
  it('rallies with tell, answers asks, terminates, and exits 0', async () => {
    const { code, signal, stdout, stderr } = await runNode(['dist/main.js', '20000'], 20_000);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });

    expect(stdout).toContain('1. tell: pinger and ponger rally 20,000 times');
    for (const run of [1, 2, 3]) expect(stdout).toMatch(new RegExp(`run ${run}: 40,000 messages in [\\d.]+ ms → [\\d.,]+( M)? msg/s`));
    expect(stdout).toContain('pinger sent 60,000 pings and received 60,000 pongs');
    expect(stdout).toMatch(/1,000 sequential asks in [\d.]+ ms/);
    expect(stdout).toMatch(/1,000 concurrent asks in [\d.]+ ms/);
    expect(stdout).toContain('ponger answered 62,000 pings in all');
    expect(stdout).toMatch(/3\. terminate: every actor stopped in [\d.]+ ms; dead letters: 0\n/);
  });

  it('rejects a bad round count with a usage line', async () => {
    const { code, stderr } = await runNode(['dist/main.js', 'lots'], 20_000);
    expect(code).toBe(2);
    expect(stderr).toContain('rounds must be a positive integer, got "lots"');
  });
});
