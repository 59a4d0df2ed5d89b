/**
 * A projection split into 4 slice ranges, run as the instances of a ShardedDaemonProcess on 3
 * real node processes (127.0.0.1) that share one SQLite journal and one SQLite read model (with
 * the offsets): a node running instances is SIGKILLed while writers write; its instances resume
 * on the survivors from their stored offsets, and the read model ends with every journaled event
 * applied exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { SqliteJournal } from '@troupe/persistence';
import { sliceOf, sliceRanges } from '@troupe/projection';
import { MultiNodeHarness, type NodeHandle, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/sharded-projection-node.mjs', import.meta.url));
const SECRET = 'sharded-projection-test-secret-01';
const INSTANCES = 4;
const WRITERS = 4;

interface StateReport {
  readonly type: 'state';
  readonly address: string;
  readonly hostPort: string;
  readonly members: readonly { readonly address: string; readonly status: string }[];
}
interface InstanceStarted {
  readonly type: 'instance-started';
  readonly index: number;
  readonly node: string;
  readonly at: number;
}
interface AppliedRow {
  readonly pid: string;
  readonly seq: number;
  readonly event_offset: number;
  readonly instance: number;
  readonly node: string;
  readonly at: number;
}

let harness: MultiNodeHarness | undefined;
let dir: string | undefined;
const closers: (() => void)[] = [];
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
  for (const close of closers.splice(0)) close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const addressOf = (node: NodeHandle) => (node.messages[0] as StateReport).address;
const latestState = (node: NodeHandle) => (node.messages as StateReport[]).filter((m) => m.type === 'state').at(-1) as StateReport;
const seesUp = (node: NodeHandle, addresses: readonly string[]) => {
  const { members } = latestState(node);
  return members.length === addresses.length && members.every((m) => m.status === 'up' && addresses.includes(m.address));
};
const starts = (h: MultiNodeHarness): InstanceStarted[] => h.nodes.flatMap((n) => (n.messages as InstanceStarted[]).filter((m) => m.type === 'instance-started'));
/** Where each instance started last, as the nodes reported it. */
const placement = (h: MultiNodeHarness): Map<number, InstanceStarted> => {
  const latest = new Map<number, InstanceStarted>();
  for (const s of starts(h).sort((a, b) => a.at - b.at)) latest.set(s.index, s);
  return latest;
};

describe('Projections over a cluster: a ShardedDaemonProcess of 4 slice-range instances on 3 node processes', () => {
  it('resumes the instances of a SIGKILLed node on the survivors from their stored offsets; the read model has every event exactly once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'troupe-sharded-projection-'));
    const journalPath = join(dir, 'journal.db');
    const readModelPath = join(dir, 'read-model.db');
    const run = `${process.pid}-${Date.now()}`;
    const tag = `orders-${run}`;
    const h = await MultiNodeHarness.start({
      script,
      nodes: 3,
      startOrder: 'sequential',
      startTimeoutMs: 30_000,
      args: (i, started) => [
        JSON.stringify({
          secret: SECRET,
          seeds: i === 0 ? [] : [(started[0] as StateReport).hostPort],
          journal: journalPath,
          readModel: readModelPath,
          tag,
          daemon: `orders-${process.pid}`,
          instances: INSTANCES,
          label: `n${i}`,
        }),
      ],
    });
    harness = h;
    const all = h.nodes.map(addressOf);
    await h.waitFor(() => h.nodes.every((n) => seesUp(n, all)), 30_000, '3 nodes Up everywhere');
    // The instances start without any traffic: keep-alives alone bring them up.
    await h.waitFor(() => placement(h).size === INSTANCES, 30_000, `${INSTANCES} instances started`);

    const readModel = new DatabaseSync(readModelPath, { readOnly: true });
    closers.push(() => readModel.close());
    const appliedCount = () => (readModel.prepare('SELECT count(*) AS n FROM applied').get() as { n: number }).n;
    const write = (node: number, round: number, events: number) => h.request<{ acked: Record<string, number> }>(node, { type: 'write', round, writers: WRITERS, events }, 120_000).then((r) => r.acked);

    // Round 1, from every node: 3 × 4 writers × 25 events, applied before anything is killed.
    const acked: Record<string, number> = {};
    for (const a of await Promise.all([0, 1, 2].map((n) => write(n, 1, 25)))) Object.assign(acked, a);
    await awaitCondition(() => appliedCount() >= 300, { timeoutMs: 60_000, intervalMs: 100, message: 'round 1 applied' });

    // The victim: a node running instances (node 0 only if it alone runs them all).
    const before = placement(h);
    const hosts = (node: number) => [...before.values()].filter((s) => s.node === all[node]).map((s) => s.index);
    const victim = [1, 2, 0].find((n) => hosts(n).length > 0) as number;
    const moved = hosts(victim);
    const survivors = [0, 1, 2].filter((n) => n !== victim);
    const distribution = [0, 1, 2].map((n) => hosts(n).length).join('/');
    const offsets = new Map(
      (readModel.prepare('SELECT projection_key AS key, current_offset AS offset FROM projection_offset WHERE projection_name = ?').all('orders-read-model') as { key: string; offset: number }[]).map(
        (r) => [r.key, r.offset],
      ),
    );
    const ranges = sliceRanges(INSTANCES);
    const storedOffsetOf = (index: number) => offsets.get(`tag:${tag}|slices:${ranges[index]?.min}-${ranges[index]?.max}/1024`) ?? 0;
    for (const index of moved) expect(storedOffsetOf(index)).toBeGreaterThan(0);

    // Round 2 from every node, the victim killed while it is in flight.
    const inFlight = survivors.map((n) => write(n, 2, 50));
    void write(victim, 2, 50).catch(() => undefined);
    await awaitCondition(() => appliedCount() >= 330, { timeoutMs: 60_000, intervalMs: 20, message: 'round 2 under way' });
    const killedAt = Date.now();
    await h.kill(victim);
    for (const a of await Promise.all(inFlight)) Object.assign(acked, a);
    await h.waitFor(() => moved.every((index) => starts(h).some((s) => s.index === index && s.at > killedAt && s.node !== all[victim])), 60_000, `instances ${moved.join(',')} resumed on a survivor`);
    // Round 3, after the failover, from the survivors.
    for (const a of await Promise.all(survivors.map((n) => write(n, 3, 10)))) Object.assign(acked, a);

    // Every tagged event the journal holds (acknowledged or written by the victim before it died).
    const journal = new SqliteJournal({ path: journalPath });
    closers.push(() => void journal.close());
    const events = await journal.currentEventsByTag(tag, 0, 1_000_000);
    const expected = new Set(events.map((e) => `${e.repr.persistenceId}#${e.repr.sequenceNr}`));
    for (const [pid, highest] of Object.entries(acked)) for (let seq = 1; seq <= highest; seq++) expect(expected.has(`${pid}#${seq}`)).toBe(true);
    await awaitCondition(() => appliedCount() >= expected.size, { timeoutMs: 90_000, intervalMs: 100, message: `all ${expected.size} events applied` });

    const rows = readModel.prepare('SELECT pid, seq, event_offset, instance, node, at FROM applied').all() as unknown as AppliedRow[];
    const times = new Map<string, number>();
    for (const row of rows) times.set(`${row.pid}#${row.seq}`, (times.get(`${row.pid}#${row.seq}`) ?? 0) + 1);
    // Exactly once: each journaled event applied once, nothing else applied.
    expect(rows.length).toBe(expected.size);
    expect([...times.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...times.keys()].filter((k) => !expected.has(k))).toEqual([]);
    // The counter sink (incremented, not idempotent) agrees with the journal.
    const perPid = new Map<string, number>();
    for (const e of events) perPid.set(e.repr.persistenceId, (perPid.get(e.repr.persistenceId) ?? 0) + 1);
    const totals = readModel.prepare('SELECT pid, events FROM totals').all() as { pid: string; events: number }[];
    expect(new Map(totals.map((t) => [t.pid, t.events]))).toEqual(perPid);
    // Each event was applied by the instance owning its slice.
    for (const row of rows) {
      const slice = sliceOf(row.pid);
      const range = ranges[row.instance] as { min: number; max: number };
      expect(slice >= range.min && slice <= range.max).toBe(true);
    }
    // The moved instances resumed after their stored offsets: nothing at or below them was applied again on a survivor.
    for (const index of moved) {
      const resumedRows = rows.filter((r) => r.instance === index && r.node !== all[victim] && r.at >= killedAt);
      // Survivors write into every range in rounds 2 and 3, so a resumed instance has work.
      expect(resumedRows.length).toBeGreaterThan(0);
      expect(resumedRows.every((r) => r.event_offset > storedOffsetOf(index))).toBe(true);
    }

    const resumed = moved.map((index) => {
      const start = starts(h).find((s) => s.index === index && s.at > killedAt) as InstanceStarted;
      const firstApplied = Math.min(...rows.filter((r) => r.instance === index && r.node !== all[victim] && r.at >= killedAt).map((r) => r.at));
      return { index, startMs: start.at - killedAt, firstAppliedMs: firstApplied - killedAt };
    });
    console.log(
      `[measured] ${INSTANCES} projection instances on 3 nodes (${distribution}); node ${victim} SIGKILLed with instances ${moved.join(',')} (stored offsets ${moved.map(storedOffsetOf).join(',')}); ` +
        resumed.map((r) => `instance ${r.index} started on a survivor ${r.startMs} ms and applied its first event ${r.firstAppliedMs} ms after the kill`).join('; ') +
        `; ${expected.size} events, each applied once (heartbeat 200 ms, acceptable pause 1500 ms, stable-after 1500 ms, shard retry 300 ms)`,
    );
  });
});
