import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs `npm start` in this example (what the repository's `npm start` runs after building), killed after `timeoutMs`. */
function npmStart(timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['start'], { cwd: exampleDir, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
};

describe('example: bank on a 3-node cluster (npm start)', () => {
  it('spreads the accounts over 3 nodes, SIGKILLs one, and every account of the dead node answers from a survivor with its balance; all processes end, exit 0', async () => {
    const { code, stdout, stderr } = await npmStart(240_000);
    const output = `${stdout}\n--- stderr ---\n${stderr}`;
    expect(code, output).toBe(0);

    const pids = [...stdout.matchAll(/^\s+node-(\d)\s+pid (\d+)\s+troupe:\/\/bank@127\.0\.0\.1:\d+/gm)].map((m) => Number(m[2]));
    expect(pids, output).toHaveLength(3);

    // Three nodes host accounts, 30 in all.
    const hosts = new Map([...stdout.matchAll(/^\s+(node-\d) hosts\s+(\d+) accounts: ((?:#\d+ ?)+)$/gm)].map((m) => [m[1] as string, (m[3] as string).trim().split(' ')]));
    expect([...hosts.keys()].sort(), output).toEqual(['node-1', 'node-2', 'node-3']);
    expect(
      [...hosts.values()].every((accounts) => accounts.length > 0),
      output,
    ).toBe(true);
    expect(new Set([...hosts.values()].flat()).size, output).toBe(30);

    // The kill, and every account the dead node hosted answering from a survivor with the balance it had before.
    const killed = /^5\. SIGKILL\s+(node-\d) \(pid (\d+)\) is killed without warning; it hosted (\d+) accounts/m.exec(stdout);
    expect(killed, output).not.toBeNull();
    const [, victim, victimPid, count] = killed as RegExpExecArray;
    expect(pids).toContain(Number(victimPid));
    const victimAccounts = hosts.get(victim as string) as string[];
    expect(Number(count)).toBe(victimAccounts.length);
    expect(stdout).toMatch(new RegExp(`^6\\. failover\\s+all ${count} accounts of ${victim} answered again from the survivors \\d+\\.\\d s after the kill:$`, 'm'));
    const answered = [...stdout.matchAll(/^\s+(#\d+)\s+before\s+(\$[\d,.]+)\s+now\s+(\$[\d,.]+)\s+(\S+)\s+\(\d+ events, now on (node-\d), answered after [\d.]+ s\)$/gm)];
    expect(answered.map((m) => m[1]).sort(), output).toEqual([...victimAccounts].sort());
    for (const [line, , before, now, verdict, node] of answered) {
      expect(now, line).toBe(before);
      expect(verdict, line).toBe('intact');
      expect(node, line).not.toBe(victim);
    }

    expect(stdout).toMatch(/^7\. afterwards .*: all stored; 30 of 30 balances as expected;/m);
    expect(stdout).toMatch(/^8\. shutdown .* all 3 node processes are gone$/m);
    expect(stdout).not.toContain('FAILED');
    expect(pids.filter(isRunning), 'node processes still running after the demo ended').toEqual([]);
  }, 300_000);
});
