import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNodeProgram } from '@troupe/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const runNode = (args: readonly string[], timeoutMs: number) => runNodeProgram(args, { cwd: exampleDir, timeoutMs });
const dataDir = mkdtempSync(join(tmpdir(), 'troupe-bank-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

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
