import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MultiNodeHarness } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { SECRET } from './fast-settings.js';
import { type NodeReport, addressOf, seesUp } from './multi-node.js';

type Answer = { id: string; reply?: { id: string; node: string; seq?: number; seqs?: number[]; lastSequenceNr?: number }; error?: string };

const script = fileURLToPath(new URL('./fixtures/sharding-node.mjs', import.meta.url));
let harness: MultiNodeHarness | undefined;
let dir: string | undefined;

afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** `n` node processes sharing one SQLite journal file, every one Up. */
async function threeNodes(n = 3, extra: Record<string, unknown> = {}): Promise<{ h: MultiNodeHarness; all: string[] }> {
  dir = mkdtempSync(join(tmpdir(), 'troupe-sharding-'));
  const journal = join(dir, 'journal.db');
  const typeName = `counter-${process.pid}-${Date.now()}`;
  const h = await MultiNodeHarness.start({
    script,
    nodes: n,
    startOrder: 'sequential',
    args: (i, started) => [JSON.stringify({ secret: SECRET, seeds: i === 0 ? [] : [(started[0] as NodeReport).hostPort], journal, typeName, ...extra })],
  });
  harness = h;
  const all = h.nodes.map(addressOf);
  await h.waitFor(() => h.nodes.every((n) => seesUp(n, all)), 15_000, `${n} nodes Up everywhere`);
  return { h, all };
}

async function ask(h: MultiNodeHarness, node: number, op: 'add' | 'get', ids: readonly string[], timeoutMs = 3000, deadlineMs = 0): Promise<Answer[]> {
  const reply = await h.request<{ answers: Answer[] }>(node, { type: 'ask', op, ids, timeoutMs, deadlineMs }, deadlineMs + timeoutMs * 3 + 10_000);
  return reply.answers;
}

const ids = Array.from({ length: 30 }, (_, i) => `acct-${i}`);

describe('ClusterSharding (3 processes on 127.0.0.1, persistent entities on a shared SQLite journal)', () => {
  it('spreads entities over the nodes; each id is answered by its one entity, asked from any node', async () => {
    const { h, all } = await threeNodes();
    const added = await ask(h, 0, 'add', ids, 5000, 10_000);
    const got = await ask(h, 2, 'get', ids, 5000, 10_000);
    for (const [i, id] of ids.entries()) {
      expect(added[i]?.reply).toMatchObject({ id, seq: 1 });
      expect(got[i]?.reply).toEqual({ id, node: added[i]?.reply?.node, seqs: [1], lastSequenceNr: 1 });
    }
    expect(new Set(added.map((a) => a.reply?.node))).toEqual(new Set(all));
  });

  it('after SIGKILL of a node hosting entities, every entity answers again from a survivor with every acknowledged event, numbered without gaps or repeats', async () => {
    const { h, all } = await threeNodes();
    const acked = new Map<string, number[]>(ids.map((id) => [id, []]));
    const record = (answers: Answer[]) => {
      for (const a of answers) if (a.reply?.seq !== undefined) acked.get(a.id)?.push(a.reply.seq);
    };
    const first = await ask(h, 0, 'add', ids, 5000, 10_000);
    record(first);
    const victim = 1;
    const victimAddress = all[victim] as string;
    const onVictim = first.filter((a) => a.reply?.node === victimAddress).map((a) => a.id);
    expect(onVictim.length).toBeGreaterThan(0);
    // Writes in flight while the node dies: what was acknowledged must survive; what was not may or may not.
    const during = ask(h, 0, 'add', ids, 2000);
    const killedAt = performance.now();
    await h.kill(victim);
    record(await during);
    const survivors = all.filter((a) => a !== victimAddress);
    await h.waitFor(() => [0, 2].every((i) => seesUp(h.nodes[i] as never, survivors)), 20_000, 'the victim removed');
    const after = await ask(h, 2, 'get', ids, 3000, 20_000);
    console.log(
      `[measured] failover: ${onVictim.length} of ${ids.length} entities were on the killed node; all ${ids.length} answered from survivors ${Math.round(performance.now() - killedAt)} ms after SIGKILL (heartbeat 200 ms, pause 1500 ms, stable-after 1500 ms)`,
    );
    for (const answer of after) {
      expect(answer.error).toBeUndefined();
      const reply = answer.reply as NonNullable<Answer['reply']>;
      expect(survivors).toContain(reply.node);
      const seqs = reply.seqs as number[];
      // Contiguous from 1, no duplicates, and every acknowledged event present.
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      expect(reply.lastSequenceNr).toBe(seqs.length);
      for (const seq of acked.get(answer.id) ?? []) expect(seqs).toContain(seq);
    }
    const movedHomes = after.filter((a) => onVictim.includes(a.id)).map((a) => a.reply?.node);
    expect(movedHomes.every((n) => n !== victimAddress)).toBe(true);
    // The entities keep working on their new nodes: the next write continues the numbering.
    const next = await ask(h, 0, 'add', ids, 5000, 10_000);
    for (const [i, answer] of next.entries()) expect(answer.reply?.seq).toBe(((after[i]?.reply?.seqs as number[]).length ?? 0) + 1);
  });

  it('hands shards off to a joining node under load: no acknowledged write lost, none repeated, no message lost', async () => {
    const { h, all } = await threeNodes(2);
    const acked = new Map<string, number>(ids.map((id) => [id, 0]));
    const record = (answers: Answer[]) => {
      for (const a of answers) {
        expect(a.error).toBeUndefined();
        acked.set(a.id, (acked.get(a.id) ?? 0) + 1);
      }
    };
    record(await ask(h, 0, 'add', ids, 5000, 10_000));
    const joining = h.startNode();
    let third: string | undefined;
    let rounds = 0;
    const deadline = performance.now() + 30_000;
    const hostsOnThird = async () => third !== undefined && (await h.request<{ stats: { entities: number } }>(2, { type: 'stats' })).stats.entities > 0;
    // Writes keep flowing (one attempt each, no retry) while the third node joins and takes its shards over.
    while (rounds < 3 || !(await hostsOnThird())) {
      const answers = ask(h, rounds % 2 === 0 ? 0 : 1, 'add', ids, 8000);
      if (third === undefined && rounds === 0) third = addressOf(await joining);
      record(await answers);
      rounds++;
      if (performance.now() > deadline) throw new Error('the third node never hosted entities');
    }
    console.log(`[measured] handoff to a joining node: ${rounds} rounds of ${ids.length} writes while it joined, none lost`);
    await h.waitFor(() => h.nodes.every((n) => seesUp(n, [...all, third as string])), 15_000, '3 nodes Up');
    const after = await ask(h, 2, 'get', ids, 5000, 10_000);
    for (const answer of after) {
      const seqs = answer.reply?.seqs as number[];
      expect(seqs).toEqual(Array.from({ length: acked.get(answer.id) ?? 0 }, (_, i) => i + 1));
    }
    expect(after.some((a) => a.reply?.node === third)).toBe(true);
  });

  it("with rememberEntities, after SIGKILL the dead node's entities run on the survivors with their journaled state before any message is sent to them", async () => {
    const { h, all } = await threeNodes(3, { remember: true });
    const first = await ask(h, 0, 'add', ids, 5000, 10_000);
    for (const [i, id] of ids.entries()) expect(first[i]?.reply).toMatchObject({ id, seq: 1 });
    const victim = 1;
    const victimAddress = all[victim] as string;
    const onVictim = first.filter((a) => a.reply?.node === victimAddress).map((a) => a.id);
    expect(onVictim.length).toBeGreaterThan(0);
    const survivors = [0, 2];
    const startsBefore = survivors.map((i) => (h.nodes[i] as { messages: unknown[] }).messages.length);
    const killedAt = performance.now();
    await h.kill(victim);
    // Nothing is sent to any entity from here on: each must be started by its shard's new owner, having recovered its one event.
    const startedOnSurvivors = () => {
      const started = new Map<string, Started>();
      for (const [k, i] of survivors.entries()) {
        for (const m of (h.nodes[i] as { messages: unknown[] }).messages.slice(startsBefore[k])) if ((m as Started).type === 'entity-started') started.set((m as Started).id, m as Started);
      }
      return started;
    };
    await h.waitFor(() => onVictim.every((id) => startedOnSurvivors().has(id)), 30_000, `the ${onVictim.length} entities of the killed node started on survivors`);
    console.log(
      `[measured] remember-entities failover: ${onVictim.length} entities of the killed node running on survivors ${Math.round(performance.now() - killedAt)} ms after SIGKILL, before any message`,
    );
    const started = startedOnSurvivors();
    for (const id of onVictim) {
      const entity = started.get(id) as Started;
      expect(entity.node).not.toBe(victimAddress);
      expect(all).toContain(entity.node);
      expect(entity.lastSequenceNr).toBe(1);
    }
    // They are the entities that answer: the next write continues their numbering.
    const next = await ask(h, 0, 'add', onVictim, 5000, 10_000);
    for (const [i, id] of onVictim.entries()) expect(next[i]?.reply).toMatchObject({ id, seq: 2, node: started.get(id)?.node });
  });

  it('refuses a node started with another shard count as it joins: it reports the mismatch and leaves, the cluster keeps serving', async () => {
    dir = mkdtempSync(join(tmpdir(), 'troupe-sharding-'));
    const journal = join(dir, 'journal.db');
    const typeName = `counter-${process.pid}-${Date.now()}`;
    const h = await MultiNodeHarness.start({
      script,
      nodes: 1,
      startOrder: 'sequential',
      args: (i, started) => [JSON.stringify({ secret: SECRET, seeds: i === 0 ? [] : [(started[0] as NodeReport).hostPort], journal, typeName, numberOfShards: i === 0 ? 100 : 50 })],
    });
    harness = h;
    const first = addressOf(h.nodes[0] as never);
    // Up before the second node joins, so the first is the older (two members made Up in one leader round are ordered by address instead).
    await h.waitFor(() => seesUp(h.nodes[0] as never, [first]), 15_000, 'the first node Up');
    const second = addressOf(await h.startNode());
    const reportOf = (i: number, type: string) => (h.nodes[i] as { messages: unknown[] }).messages.find((m) => (m as { type: string }).type === type) as Record<string, unknown> | undefined;
    // No entity message is sent: the regions' check at join finds the mismatch.
    await h.waitFor(() => reportOf(1, 'terminated') !== undefined, 20_000, 'the node with the other shard count gone');
    expect(reportOf(1, 'terminated')).toMatchObject({ reason: 'removed' });
    expect(reportOf(1, 'sharding-event')).toMatchObject({ event: { type: 'shard-count-mismatch', typeName, node: second, other: first, local: 50, remote: 100 } });
    await h.waitFor(() => reportOf(0, 'sharding-event') !== undefined && seesUp(h.nodes[0] as never, [first]), 20_000, 'the first node alone, having seen the mismatch');
    expect(reportOf(0, 'sharding-event')).toMatchObject({ event: { type: 'shard-count-mismatch', typeName, node: first, other: second, local: 100, remote: 50 } });
    expect(reportOf(0, 'terminated')).toBeUndefined();
    const answers = await ask(h, 0, 'add', ids.slice(0, 5), 5000, 10_000);
    for (const answer of answers) expect(answer.reply).toMatchObject({ node: first, seq: 1 });
  });
});

type Started = { type: 'entity-started'; id: string; node: string; lastSequenceNr: number };
