import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs `node <args>` in the example folder; never rejects, so failures show stdout and stderr. */
function runNode(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: exampleDir, timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = await runNode([tsc, '-p', 'tsconfig.json'], 60_000);
  expect(build.code, build.stdout + build.stderr).toBe(0);
}, 90_000);

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
