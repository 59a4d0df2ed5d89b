import { fileURLToPath } from 'node:url';
import { runNodeProgram } from '@troupe/testkit';
import { describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const runNode = (args: readonly string[], timeoutMs: number) => runNodeProgram(args, { cwd: exampleDir, timeoutMs });

/** The first capture group of `pattern` in `output`, as a number (commas allowed). */
function numberAfter(output: string, pattern: RegExp): number {
  const match = pattern.exec(output);
  expect(match, `no match for ${pattern}\n--- output ---\n${output}`).not.toBeNull();
  return Number((match?.[1] ?? '').replaceAll(',', ''));
}

describe('example: balancing-pool', () => {
  it('publishes every record exactly once, giving slow publishers fewer records, and exits 0', async () => {
    const { code, signal, stdout, stderr } = await runNode(['dist/main.js'], 20_000);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });

    expect(stdout).toContain('exactly once: 200 of 200 records published, 0 duplicates, 0 missing; dead letters: 0');

    // Per-publisher counts: they add up, and a 40 ms publisher takes fewer than a 5 ms one.
    const counts = new Map([...stdout.matchAll(/^(publisher-\d)\s+(\d+) ms\s+(\d+)/gm)].map((m) => [m[1], { latencyMs: Number(m[2]), records: Number(m[3]) }]));
    expect([...counts.keys()]).toEqual(['publisher-1', 'publisher-2', 'publisher-3', 'publisher-4']);
    expect([...counts.values()].reduce((sum, c) => sum + c.records, 0)).toBe(200);
    const fast = Math.min(counts.get('publisher-1')?.records ?? 0, counts.get('publisher-2')?.records ?? 0);
    const slowest = counts.get('publisher-4')?.records ?? Infinity;
    expect(fast).toBeGreaterThan(slowest);
    expect(stdout).toMatch(/^total\s+200$/m);

    // Working in parallel beats one publisher sending everything in turn.
    const poolMs = numberAfter(stdout, /time: ([\d,]+) ms with the balancing pool/);
    const sequentialMs = numberAfter(stdout, /([\d,]+) ms sequentially/);
    expect(poolMs).toBeLessThan(sequentialMs);
  });
});
