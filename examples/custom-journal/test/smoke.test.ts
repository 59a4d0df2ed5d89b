import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'troupe-bank-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs `node <args>` in the example folder; never rejects, so failures show stdout and stderr. */
function runNode(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: exampleDir, timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

// Compile first so the smoke test always runs the current source, never a stale dist/.
beforeAll(async () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = await runNode([tsc, '-p', 'tsconfig.json'], 60_000);
  expect(build.code, build.stdout + build.stderr).toBe(0);
}, 90_000);

describe('example: custom-journal', () => {
  it('persists on the home-made journal and recovers the balance on the next run', async () => {
    const first = await runNode(['dist/main.js', dataDir], 20_000);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(first.stdout).toContain('recovered: balance 0 after 0 events');
    expect(first.stdout).toContain('withdraw 1000000: refused (insufficient funds)');
    expect(first.stdout).toContain('withdraw 90: balance 300 (event 4)');

    const second = await runNode(['dist/main.js', dataDir], 20_000);
    expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
    expect(second.stdout).toContain('recovered: balance 300 after 4 events');
    expect(second.stdout).toContain('withdraw 90: balance 600 (event 8)');
  });
});
