/**
 * The failover scenario the journal suites share: 3 node processes host 30 persistent sharded
 * counters on one journal; the node hosting about a third of them is SIGKILLed while writes are
 * in flight; every counter must answer again from a survivor with every acknowledged event, its
 * sequence numbers contiguous from 1 and none repeated, as the entity sees it and as the journal
 * stores it.
 */
import type { MultiNodeHarness } from '@troupe/testkit';
import { expect } from 'vitest';
import { type Answer, type JournalSpec, NODE_TIMINGS, askAll, firstReport, startShardingNodes } from './sharding-nodes.js';

/** One stored event of a counter as the journal replays it: its sequence number and the tag of the write. */
export interface StoredEvent {
  readonly seq: number;
  readonly w: string;
}

/** What one failover run measured. */
export interface FailoverFigures {
  readonly onVictim: number;
  readonly answeredAgainMs: number;
  readonly unreachableMs: number | undefined;
  readonly downedMs: number | undefined;
}

const ids = Array.from({ length: 30 }, (_, i) => `c${i}`);

/**
 * Runs the scenario on `journal`; `history(persistenceId)` reads what the journal stores for a
 * counter, straight from the journal (not through the nodes). Logs a `[measured]` line.
 */
export async function shardingFailover(label: string, journal: JournalSpec, typeName: string, history: (persistenceId: string) => Promise<StoredEvent[]>): Promise<FailoverFigures> {
  const { harness, addresses } = await startShardingNodes(3, journal, typeName);
  try {
    return await scenario(label, harness, addresses, typeName, history);
  } finally {
    await harness.cleanup();
  }
}

async function scenario(label: string, h: MultiNodeHarness, all: string[], typeName: string, history: (persistenceId: string) => Promise<StoredEvent[]>): Promise<FailoverFigures> {
  const acked = new Map<string, Map<number, string>>(ids.map((id) => [id, new Map()]));
  const record = (answers: readonly Answer[]): number => {
    let n = 0;
    for (const a of answers) {
      if (a.reply?.seq === undefined || a.reply.w === undefined) continue;
      const previous = acked.get(a.id)?.get(a.reply.seq);
      // Two acknowledged writes with one sequence number would be a lost event.
      expect(previous, `${a.id} seq ${a.reply.seq} acknowledged twice`).toBeUndefined();
      acked.get(a.id)?.set(a.reply.seq, a.reply.w);
      n++;
    }
    return n;
  };

  // Two rounds of writes from two nodes; the first one creates each counter's journal (topics, partitions).
  const first = await askAll(h, 0, 'add', ids, { tag: 'r1', timeoutMs: 10_000, deadlineMs: 60_000 });
  expect(first.filter((a) => a.error !== undefined)).toEqual([]);
  record(first);
  const second = await askAll(h, 1, 'add', ids, { tag: 'r2', timeoutMs: 10_000, deadlineMs: 60_000 });
  expect(second.filter((a) => a.error !== undefined)).toEqual([]);
  record(second);

  // Node 0 sends the writes; of the others, the one hosting nearer a third of the counters dies and the other observes.
  const hostedBy = (node: number) => first.filter((a) => a.reply?.node === all[node]).map((a) => a.id);
  const [victim, watcher] = Math.abs(hostedBy(1).length - ids.length / 3) <= Math.abs(hostedBy(2).length - ids.length / 3) ? [1, 2] : [2, 1];
  const victimAddress = all[victim] as string;
  const onVictim = hostedBy(victim);
  expect(onVictim.length).toBeGreaterThan(0);
  const survivors = all.filter((a) => a !== victimAddress);

  // Writes in flight while the node dies (one attempt each): what was acknowledged must survive; what was not may or may not.
  const during = askAll(h, 0, 'add', ids, { tag: 'r3', timeoutMs: 3_000, deadlineMs: 0 });
  const killedAt = Date.now();
  await h.kill(victim);
  const inFlightAcked = record(await during);

  // Asked from a survivor at once, each counter again after a 500 ms timeout (an ask routed to the dead node is lost), until it answers from its new node.
  const after = await askAll(h, watcher, 'get', ids, { timeoutMs: 500, deadlineMs: 90_000 });
  const answeredAgainMs = Math.max(...after.filter((a) => onVictim.includes(a.id)).map((a) => a.at)) - killedAt;
  const observer = h.nodes[watcher] as NonNullable<(typeof h.nodes)[number]>;
  const unreachableAt = firstReport(observer, (r) => r.at >= killedAt && r.unreachable.includes(victimAddress))?.at;
  const downedAt = firstReport(observer, (r) => r.at >= killedAt && !r.members.some((m) => m.address === victimAddress && m.status !== 'down'))?.at;
  const figures: FailoverFigures = {
    onVictim: onVictim.length,
    answeredAgainMs,
    unreachableMs: unreachableAt === undefined ? undefined : unreachableAt - killedAt,
    downedMs: downedAt === undefined ? undefined : downedAt - killedAt,
  };
  console.log(
    `[measured] sharding failover on ${label}: ${onVictim.length} of ${ids.length} entities on the SIGKILLed node; every one answered again from a survivor ${answeredAgainMs} ms after the kill ` +
      `(unreachable after ${figures.unreachableMs ?? '?'} ms, downed after ${figures.downedMs ?? '?'} ms; ${inFlightAcked} of ${ids.length} writes in flight at the kill acknowledged; ${NODE_TIMINGS})`,
  );

  for (const answer of after) {
    expect(answer.error, answer.id).toBeUndefined();
    const reply = answer.reply as NonNullable<Answer['reply']>;
    expect(survivors).toContain(reply.node);
    const ws = reply.ws as readonly string[];
    expect(reply.lastSequenceNr, answer.id).toBe(ws.length);
    // Every acknowledged event is there, under the sequence number it was acknowledged with.
    for (const [seq, w] of acked.get(answer.id) ?? []) expect(ws[seq - 1], `${answer.id} seq ${seq}`).toBe(w);
    // The journal's own record: numbered 1..n without a gap or a repeat, and the same events the entity recovered.
    const stored = await history(`${typeName}-${answer.id}`);
    expect(
      stored.map((e) => e.seq),
      answer.id,
    ).toEqual(Array.from({ length: ws.length }, (_, i) => i + 1));
    expect(
      stored.map((e) => e.w),
      answer.id,
    ).toEqual(ws);
  }

  // The counters keep working where they are now: the next write continues the numbering.
  const next = await askAll(h, 0, 'add', ids, { tag: 'r4', timeoutMs: 10_000, deadlineMs: 60_000 });
  for (const [i, answer] of next.entries()) expect(answer.reply?.seq, answer.id).toBe((after[i]?.reply?.ws?.length ?? 0) + 1);
  return figures;
}
