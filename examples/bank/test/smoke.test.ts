import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNodeProgram } from '@troupe/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const runNode = (args: readonly string[], timeoutMs: number) => runNodeProgram(args, { cwd: exampleDir, env: { TROUPE_DEMO_DATA: dataDir }, timeoutMs });
const dataDir = mkdtempSync(join(tmpdir(), 'troupe-bank-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('example: bank on one node (npm run start:single-node)', () => {
  it('persists, survives a crash, agrees with its projection, and recovers every balance on the next run', async () => {
    const first = await runNode(['dist/main.js'], 60_000);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(first.stdout).toContain('run #1: 100 accounts recovered');
    expect(first.stdout).toContain('the bank holds $0.00');
    expect(first.stdout).toMatch(/20,000 deposits to 100 accounts, 500 in flight: \d+ ms → [\d,]+ events\/s/);
    expect(first.stdout).toMatch(/\[supervisor\] troupe:\/\/bank\/user\/bank\/account-7: restart in \d+ ms/);
    expect(first.stdout).toMatch(/account-7 hit a bug, restarted, and recovered \$[\d,.]+ \(unchanged\)/);
    const total = /its total (\$[\d,.]+) = sum of balances \1/.exec(first.stdout)?.[1];
    expect(total, first.stdout).toBeDefined();
    expect(first.stdout).toContain("exactly-once eventsByTag('bank') resumed after offset 0 and");

    const second = await runNode(['dist/main.js'], 60_000);
    expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
    expect(second.stdout).toContain(`run #2: 100 accounts recovered`);
    expect(second.stdout).toContain(`the bank holds ${total}`);
    // The ledger resumed from its stored offset instead of replaying the first run's events.
    expect(second.stdout).toMatch(/resumed after offset [1-9][\d,]* and applied [\d,]+ events; its total (\$[\d,.]+) = sum of balances \1/);
  }, 150_000);
});
