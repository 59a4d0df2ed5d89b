import { fileURLToPath } from 'node:url';
import { runNodeProgram } from '@troupe/testkit';
import { describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const runNode = (args: readonly string[], timeoutMs: number) => runNodeProgram(args, { cwd: exampleDir, timeoutMs });

/** Asserts that every line appears in `output`, in this order. */
function expectInOrder(output: string, lines: readonly string[]): void {
  let from = 0;
  for (const line of lines) {
    const at = output.indexOf(line, from);
    expect(at, `expected, after offset ${from}: ${line}\n--- output ---\n${output}`).toBeGreaterThanOrEqual(0);
    from = at + line.length;
  }
}

describe('example: supervision', () => {
  it('shows restart, resume, stop after the retry limit, death watch and backoff, then exits 0', async () => {
    const { code, signal, stdout, stderr } = await runNode(['dist/main.js'], 20_000);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });

    expectInOrder(stdout, [
      // restart: fresh state, queued messages kept, failing message dropped
      'supervisor/worker failed: Error: job-3 crashed the worker; supervisor decided: restart',
      'report: incarnation #2, remembers [job-4, job-5]',
      // resume: same instance, state kept
      'supervisor/worker failed: InvalidInputError: job-6 has invalid input; supervisor decided: resume',
      'report: incarnation #2, remembers [job-4, job-5, job-7]',
      // a rejected Promise is a failure too
      'supervisor/worker failed: Error: job-8: saving failed after 5 ms; supervisor decided: restart',
      'report: incarnation #3, remembers [job-9]',
      'supervisor/worker failed: Error: job-10 crashed the worker; supervisor decided: restart',
      'report: incarnation #4, remembers [job-11]',
      // the fourth restart within the window is refused
      'supervisor/worker failed: Error: job-12 crashed the worker; supervisor decided: stop (restart limit 3 reached)',
      'dead letter: job-13 to supervisor/worker (recipient-stopped)',
      'supervisor: death watch: supervisor/worker has terminated',
      'program: notified that supervisor/worker stopped',
      // backoff
      'db-connection: connect attempt 1',
      'db-connection: connect attempt 5',
      'db-connection: connected',
      'query answered after',
      'SELECT 1 → 1 row, on connect attempt 5',
      'Terminated. Dead letters: 1.',
    ]);

    // Each backoff delay is minBackoffMs · 2^attempt plus up to 20 % jitter: they grow.
    const delays = [...stdout.matchAll(/db-connection failed: .*connection refused; supervisor decided: restart in (\d+) ms/g)].map((match) => Number(match[1]));
    expect(delays).toHaveLength(4);
    delays.forEach((delay, attempt) => {
      expect(delay).toBeGreaterThanOrEqual(100 * 2 ** attempt);
      expect(delay).toBeLessThanOrEqual(Math.ceil(120 * 2 ** attempt));
    });
  });
});
