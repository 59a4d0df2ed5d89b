import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runNodeProgram } from '@troupe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cassandraAvailable, cassandraContactPoints } from '../setup/services-env.js';
import { dropKeyspaces, testClient, uniqueKeyspace } from './cassandra-fixtures.js';
import { holdCassandraShared } from './cassandra-lock.js';

// The smoke test of examples/cassandra-ledger (it needs the real Cassandra this workspace starts).
const exampleDir = fileURLToPath(new URL('../../examples/cassandra-ledger/', import.meta.url));
const keyspace = uniqueKeyspace('ledger_smoke');

describe.skipIf(!cassandraAvailable())('example: cassandra-ledger', () => {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await holdCassandraShared('ledger-example');
    // Compile first so the test runs the current source, never a stale dist/.
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    // (The test workspace does not depend on the example, so turbo has not built it.)
    const build = await runNodeProgram([tsc, '-p', 'tsconfig.json'], { cwd: exampleDir, timeoutMs: 120_000 });
    expect(build.code, build.stdout + build.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    try {
      await dropKeyspaces(testClient(), keyspace, `${keyspace}_snapshots`);
    } finally {
      release?.();
    }
  });

  it('stores the transactions, refuses the overdraft, recovers in a new system, and reports through eventTable', async () => {
    const env = { TROUPE_CASSANDRA_CONTACT_POINTS: cassandraContactPoints().join(','), LEDGER_KEYSPACE: keyspace };
    const { code, stdout, stderr } = await runNodeProgram(['dist/main.js'], { cwd: exampleDir, env, timeoutMs: 120_000 });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('alice withdraws 100000.00: refused (insufficient funds: 408.20 < 100000.00)');
    expect(stdout).toContain('bob    balance    608.20 after 44 events');
    expect(stdout).toContain('carol  balance   1208.20 recovered (40 events)');
    expect(stdout).toContain('recovered state matches the state before the restart');
    expect(stdout).toContain('account-alice   40 events in partitions [0, 1, 2], net    408.20');
    expect(stdout).toMatch(/ledger ok\n$/);
  });

  it('names the host and port when Cassandra is not there, and exits 1', async () => {
    const env = { TROUPE_CASSANDRA_CONTACT_POINTS: '127.0.0.1:1', LEDGER_KEYSPACE: keyspace };
    const { code, stderr } = await runNodeProgram(['dist/main.js'], { cwd: exampleDir, env, timeoutMs: 60_000 });
    expect(code).toBe(1);
    expect(stderr).toContain('cannot reach Cassandra at 127.0.0.1:1: 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
  });
});
