/**
 * Keeps the fault suite (which stops and restarts the shared test Cassandra) from running
 * while another Cassandra suite of this folder runs in a parallel vitest worker.
 *
 * Readers (ordinary suites) register a file, then check for the stopper's lock; the
 * stopper takes the lock, then waits until no reader is registered. Each side writes
 * before it reads, so the two can never both proceed. Files of dead processes are ignored.
 * Suites outside this folder that use Cassandra are not covered: see the README.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cassandraContactPoints } from '../setup/services-env.js';

const root = join(tmpdir(), `troupe-cassandra-lock-${(cassandraContactPoints()[0] ?? 'none').replace(/[^\w]/g, '_')}`);
const readers = join(root, 'readers');
const stopper = join(root, 'stopper');
const POLL_MS = 100;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function liveEntries(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => {
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && alive(pid)) return true;
    rmSync(join(dir, name), { force: true });
    return false;
  });
}

const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, POLL_MS));

/** Registers a suite that needs Cassandra up; returns the release function (call it in afterAll). */
export async function holdCassandraShared(name: string, timeoutMs = 300_000): Promise<() => void> {
  mkdirSync(readers, { recursive: true });
  mkdirSync(stopper, { recursive: true });
  const entry = join(readers, `${process.pid}-${name}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    writeFileSync(entry, '');
    if (liveEntries(stopper).length === 0) return () => rmSync(entry, { force: true });
    rmSync(entry, { force: true });
    if (Date.now() > deadline) throw new Error(`timed out waiting for the Cassandra fault suite to finish (${stopper})`);
    await pause();
  }
}

/** Takes the exclusive right to stop Cassandra; returns the release function. */
export async function holdCassandraExclusive(timeoutMs = 300_000): Promise<() => void> {
  mkdirSync(readers, { recursive: true });
  mkdirSync(stopper, { recursive: true });
  const entry = join(stopper, `${process.pid}-fault`);
  writeFileSync(entry, '');
  const deadline = Date.now() + timeoutMs;
  while (liveEntries(readers).length > 0) {
    if (Date.now() > deadline) {
      rmSync(entry, { force: true });
      throw new Error(`timed out waiting for other Cassandra suites to finish (${readers})`);
    }
    await pause();
  }
  return () => rmSync(entry, { force: true });
}
