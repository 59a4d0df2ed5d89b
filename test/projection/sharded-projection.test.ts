/**
 * A projection split into slice ranges, run as the instances of a ShardedDaemonProcess on real
 * node processes (127.0.0.1) that share one SQLite journal and one SQLite read model (with the
 * offsets), while persistent writers on every node write tagged events:
 * - a node running instances is SIGKILLed; its instances resume on the survivors from their
 *   stored offsets and the exactly-once read model ends with every journaled event once;
 * - a node joins and instances move to it through ProjectionActor.stopMessage, which stores the
 *   offset before the instance stops: an at-least-once projection that stores its offset only on
 *   stop applies nothing twice.
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
const PROJECTION = 'orders-read-model';

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

/** `nodes` node processes running a daemon of `instances` projection instances, every node Up and every instance started. */
async function startCluster(nodes: number, instances: number, mode: 'exactly-once' | 'at-least-once') {
  dir = mkdtempSync(join(tmpdir(), 'troupe-sharded-projection-'));
  const journalPath = join(dir, 'journal.db');
  const readModelPath = join(dir, 'read-model.db');
  const tag = `orders-${process.pid}-${Date.now()}`;
  const h = await MultiNodeHarness.start({
    script,
    nodes,
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
        instances,
        label: `n${i}`,
        mode,
      }),
    ],
  });
  harness = h;
  const all = h.nodes.map(addressOf);
  await h.waitFor(() => h.nodes.every((n) => seesUp(n, all)), 30_000, `${nodes} nodes Up everywhere`);
  // The instances start without any traffic: keep-alives alone bring them up.
  await h.waitFor(() => placement(h).size === instances, 30_000, `${instances} instances started`);
  const readModel = new DatabaseSync(readModelPath, { readOnly: true });
  closers.push(() => readModel.close());
  const ranges = sliceRanges(instances);
  const acked: Record<string, number> = {};
  return {
    h,
    all,
    readModel,
    ranges,
    appliedCount: () => (readModel.prepare('SELECT count(*) AS n FROM applied').get() as { n: number }).n,
    /** Offsets stored now, by instance index (0 when none is stored). */
    storedOffsets: (): number[] => {
      const rows = readModel.prepare('SELECT projection_key AS key, current_offset AS offset FROM projection_offset WHERE projection_name = ?').all(PROJECTION) as { key: string; offset: number }[];
      const byKey = new Map(rows.map((r) => [r.key, r.offset]));
      return ranges.map((r) => byKey.get(`tag:${tag}|slices:${r.min}-${r.max}/1024`) ?? 0);
    },
    /** `writers` writers on `node` persist `events` events each (writer k writes into slice range k % instances); resolves once all are acknowledged. */
    write: async (node: number, round: number, writers: number, events: number) => {
      const reply = await h.request<{ acked: Record<string, number> }>(node, { type: 'write', round, writers, events }, 120_000);
      Object.assign(acked, reply.acked);
    },
    /** Waits until the read model holds as many rows as the journal holds tagged events, then checks each was applied exactly once, by its slice's instance. */
    expectEveryEventOnce: async (): Promise<AppliedRow[]> => {
      const journal = new SqliteJournal({ path: journalPath });
      closers.push(() => void journal.close());
      const events = await journal.currentEventsByTag(tag, 0, 1_000_000);
      const expected = new Set(events.map((e) => `${e.repr.persistenceId}#${e.repr.sequenceNr}`));
      // Every acknowledged write is in the journal (the victim's unacknowledged ones may be too).
      for (const [pid, highest] of Object.entries(acked)) for (let seq = 1; seq <= highest; seq++) expect(expected.has(`${pid}#${seq}`)).toBe(true);
      await awaitCondition(() => (readModel.prepare('SELECT count(*) AS n FROM applied').get() as { n: number }).n >= expected.size, {
        timeoutMs: 90_000,
        intervalMs: 100,
        message: `all ${expected.size} events applied`,
      });
      const rows = readModel.prepare('SELECT pid, seq, event_offset, instance, node, at FROM applied').all() as unknown as AppliedRow[];
      const times = new Map<string, number>();
      for (const row of rows) times.set(`${row.pid}#${row.seq}`, (times.get(`${row.pid}#${row.seq}`) ?? 0) + 1);
      expect(rows.length).toBe(expected.size);
      expect([...times.entries()].filter(([, n]) => n !== 1)).toEqual([]);
      expect([...times.keys()].filter((k) => !expected.has(k))).toEqual([]);
      // The counter sink (incremented, not idempotent) agrees with the journal.
      const perPid = new Map<string, number>();
      for (const e of events) perPid.set(e.repr.persistenceId, (perPid.get(e.repr.persistenceId) ?? 0) + 1);
      const totals = readModel.prepare('SELECT pid, events FROM totals').all() as { pid: string; events: number }[];
      expect(new Map(totals.map((t) => [t.pid, t.events]))).toEqual(perPid);
      for (const row of rows) {
        const range = ranges[row.instance] as { min: number; max: number };
        expect(sliceOf(row.pid) >= range.min && sliceOf(row.pid) <= range.max).toBe(true);
      }
      return rows;
    },
  };
}

describe('Projections over a cluster: a ShardedDaemonProcess of slice-range instances on node processes', () => {
  it('resumes the instances of a SIGKILLed node on the survivors from their stored offsets; the exactly-once read model has every event once', async () => {
    const INSTANCES = 4;
    const c = await startCluster(3, INSTANCES, 'exactly-once');
    const { h, all } = c;
    // Round 1, from every node: 3 × 4 writers × 25 events, applied before anything is killed.
    await Promise.all([0, 1, 2].map((n) => c.write(n, 1, 4, 25)));
    await awaitCondition(() => c.appliedCount() >= 300, { timeoutMs: 60_000, intervalMs: 100, message: 'round 1 applied' });

    // The victim: a node running instances (node 0 only if it alone runs them all).
    const before = placement(h);
    const hosts = (node: number) => [...before.values()].filter((s) => s.node === all[node]).map((s) => s.index);
    const victim = [1, 2, 0].find((n) => hosts(n).length > 0) as number;
    const moved = hosts(victim);
    const survivors = [0, 1, 2].filter((n) => n !== victim);
    const distribution = [0, 1, 2].map((n) => hosts(n).length).join('/');
    const stored = c.storedOffsets();
    for (const index of moved) expect(stored[index]).toBeGreaterThan(0);

    // Round 2 from every node, the victim killed while it is in flight.
    const inFlight = survivors.map((n) => c.write(n, 2, 4, 50));
    void c.write(victim, 2, 4, 50).catch(() => undefined);
    await awaitCondition(() => c.appliedCount() >= 330, { timeoutMs: 60_000, intervalMs: 20, message: 'round 2 under way' });
    const killedAt = Date.now();
    await h.kill(victim);
    await Promise.all(inFlight);
    await h.waitFor(() => moved.every((index) => starts(h).some((s) => s.index === index && s.at > killedAt && s.node !== all[victim])), 60_000, `instances ${moved.join(',')} resumed on a survivor`);
    // Round 3, after the failover, from the survivors.
    await Promise.all(survivors.map((n) => c.write(n, 3, 4, 10)));

    const rows = await c.expectEveryEventOnce();
    // The moved instances resumed after their stored offsets: nothing at or below them was applied again on a survivor.
    for (const index of moved) {
      const resumedRows = rows.filter((r) => r.instance === index && r.node !== all[victim] && r.at >= killedAt);
      // Survivors write into every range in rounds 2 and 3, so a resumed instance has work.
      expect(resumedRows.length).toBeGreaterThan(0);
      expect(resumedRows.every((r) => r.event_offset > (stored[index] as number))).toBe(true);
    }

    const resumed = moved.map((index) => {
      const start = starts(h).find((s) => s.index === index && s.at > killedAt) as InstanceStarted;
      const firstApplied = Math.min(...rows.filter((r) => r.instance === index && r.node !== all[victim] && r.at >= killedAt).map((r) => r.at));
      return { index, startMs: start.at - killedAt, firstAppliedMs: firstApplied - killedAt };
    });
    console.log(
      `[measured] ${INSTANCES} projection instances on 3 nodes (${distribution}); node ${victim} SIGKILLed with instances ${moved.join(',')} (stored offsets ${moved.map((i) => stored[i]).join(',')}); ` +
        resumed.map((r) => `instance ${r.index} started on a survivor ${r.startMs} ms and applied its first event ${r.firstAppliedMs} ms after the kill`).join('; ') +
        `; ${rows.length} events, each applied once (heartbeat 200 ms, acceptable pause 1500 ms, stable-after 1500 ms, shard retry 300 ms)`,
    );
  });

  it('moves instances to a joining node through ProjectionActor.stopMessage, which stores the offset first: at-least-once, saving only on stop, applies nothing twice', async () => {
    // 16 instances over 2 → 3 nodes: the joining node takes some with probability 1 - (2/3)^16 > 99.8 %.
    const INSTANCES = 16;
    const c = await startCluster(2, INSTANCES, 'at-least-once');
    const { h } = c;
    await Promise.all([0, 1].map((n) => c.write(n, 1, INSTANCES, 10)));
    await awaitCondition(() => c.appliedCount() >= 2 * INSTANCES * 10, { timeoutMs: 60_000, intervalMs: 100, message: 'round 1 applied' });
    // Nothing stored yet except by handoffs while node 1 joined (before any event): offsets are stored on stop only.
    const writing = [0, 1].map((n) => c.write(n, 2, INSTANCES, 10));
    const third = addressOf(await h.startNode());
    const all = [...c.all, third];
    await h.waitFor(() => h.nodes.every((n) => seesUp(n, all)), 30_000, '3 nodes Up everywhere');
    await Promise.all(writing);
    await h.waitFor(() => starts(h).some((s) => s.node === third), 30_000, 'an instance moved to the joining node');
    await Promise.all([0, 1, 2].map((n) => c.write(n, 3, INSTANCES, 5)));

    const rows = await c.expectEveryEventOnce();
    const movedToThird = [...placement(h).values()].filter((s) => s.node === third).map((s) => s.index);
    const stored = c.storedOffsets();
    for (const index of movedToThird) {
      // Its previous node stored the offset when it stopped the instance for the handoff, and the joining node went on after it.
      expect(stored[index]).toBeGreaterThan(0);
      const onThird = rows.filter((r) => r.instance === index && r.node === third);
      expect(onThird.every((r) => r.event_offset > (stored[index] as number))).toBe(true);
    }
    console.log(`[measured] a node joined 2 nodes running ${INSTANCES} at-least-once instances and took ${movedToThird.length} of them; ${rows.length} events, each applied once`);
  });
});
