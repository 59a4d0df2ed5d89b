import type { MultiNodeHarness, NodeHandle } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { compareAddresses } from '../src/address/node-address.js';
import { FAST_NODE_CONFIG, type NodeReport, addressOf, seesUp, startClusterNodes, stateOf, terminationOf } from './multi-node.js';

// Guarantee 6 of DESIGN.md against frozen processes: two of five nodes are stopped with
// SIGSTOP (a long GC pause, a stalled VM) until the other three have downed them, then
// resumed with SIGCONT. Told it was downed, a resumed node goes at once. Not told, it sees
// everyone unreachable, and in the bad interleaving (the three's records of the pair,
// gossiped before they cut it off) itself too; it must still find it has no majority and
// take itself out, and never come back under its old incarnation.

let harness: MultiNodeHarness | undefined;

afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

/**
 * The rounds: which two of the five live nodes (by address order) are frozen — the
 * leader's side, the tail, both ends… — and whether the Down notice the three send them
 * reaches them. `lost`: the three cut them off after marking them unreachable, before
 * downing them (a connection that broke during the pause), so the resumed pair can only
 * find out on its own, by seeing no majority. `delivered`: the notice waits in the frozen
 * process's socket and is the first thing it reads.
 */
const ROUNDS: readonly { readonly pair: readonly [number, number]; readonly notice: 'lost' | 'delivered' }[] = [
  { pair: [3, 4], notice: 'lost' },
  { pair: [0, 1], notice: 'lost' },
  { pair: [0, 4], notice: 'delivered' },
  { pair: [1, 3], notice: 'lost' },
  { pair: [2, 3], notice: 'lost' },
  { pair: [0, 2], notice: 'delivered' },
];

/** True when `observer` sees `address` Down or no longer sees it at all (removed). */
const downedOrGone = (observer: NodeHandle, address: string) => {
  const member = stateOf(observer).members.find((m) => m.address === address);
  return member === undefined || member.status === 'down';
};

describe('Zombie nodes (5 processes, two frozen with SIGSTOP until downed, then resumed)', () => {
  it(`each resumed node terminates by itself and never rejoins (${ROUNDS.length} rounds)`, { timeout: 170_000 }, async () => {
    let seed: string | undefined;
    harness = await startClusterNodes(5, FAST_NODE_CONFIG, () => seed);
    const h = harness;
    let live = h.nodes.map((n) => n.index);
    const failures: string[] = [];
    // Lost rounds in which a resumed node reported the survivors unreachable before it went.
    let selfDiscovered = 0;
    for (const [round, { pair, notice }] of ROUNDS.entries()) {
      const all = live.map((i) => addressOf(h.nodes[i] as NodeHandle));
      await h.waitFor(() => live.every((i) => seesUp(h.nodes[i] as NodeHandle, all)), 20_000, `round ${round}: 5 nodes Up everywhere`);
      const byAddress = [...live].sort((a, b) => compareAddresses(addressOf(h.nodes[a] as NodeHandle), addressOf(h.nodes[b] as NodeHandle)));
      const frozen = pair.map((k) => byAddress[k] as number);
      const zombies = frozen.map((i) => h.nodes[i] as NodeHandle);
      const zombieAddresses = zombies.map(addressOf);
      const survivors = live.filter((i) => !frozen.includes(i)).map((i) => h.nodes[i] as NodeHandle);
      const survivorAddresses = survivors.map(addressOf);
      for (const i of frozen) h.suspend(i);
      if (notice === 'lost') {
        // Cut only once the three see them unreachable: what they gossiped until then (their
        // records of the pair, which made a resumed node see itself unreachable) still arrives.
        await h.waitFor(() => survivors.every((s) => zombieAddresses.every((z) => stateOf(s).unreachable.includes(z))), 30_000, `round ${round}: the three to see the frozen pair unreachable`);
        for (const s of survivors) h.send(s.index, { type: 'partition', addresses: zombieAddresses });
      }
      await h.waitFor(() => survivors.every((s) => zombieAddresses.every((z) => downedOrGone(s, z))), 30_000, `round ${round}: the three to down the frozen pair`);
      const seenBefore = survivors.map((s) => s.messages.length);
      const zombieSeenBefore = zombies.map((z) => z.messages.length);
      for (const i of frozen) h.resume(i);
      const resumedAt = performance.now();
      try {
        await h.waitFor(() => zombies.every((z) => !z.alive), 15_000, `round ${round}: both resumed nodes to terminate`);
        const reasons = zombies.map((z) => terminationOf(z)?.reason);
        for (const reason of reasons) expect(['downed', 'removed']).toContain(reason);
        // Told: both go before their own detectors suspect anyone. Not told: the pair saw no
        // majority and downed itself (one may be downed by the other, which tells it).
        const sawSurvivorsUnreachable = zombies.map((z, k) =>
          (z.messages.slice(zombieSeenBefore[k]) as NodeReport[]).some((m) => m.type === 'state' && m.unreachable.some((a) => survivorAddresses.includes(a))),
        );
        // A node's state reports are sampled, so one that goes at once may leave no report of
        // what it saw: the lost path is required to show in at least one lost round (below).
        if (notice === 'lost') selfDiscovered += sawSurvivorsUnreachable.includes(true) ? 1 : 0;
        else expect(sawSurvivorsUnreachable).toEqual([false, false]);
        console.log(
          `[zombies] round ${round} (froze positions ${pair.join(',')}, notice ${notice}): both terminated ${Math.round(performance.now() - resumedAt)} ms after SIGCONT (${reasons.join(', ')})`,
        );
      } catch (error) {
        const views = zombies.filter((z) => z.alive).map((z) => `${addressOf(z)} sees ${JSON.stringify(stateOf(z).members.map((m) => m.status))}, unreachable ${stateOf(z).unreachable.length}`);
        failures.push(`round ${round} (froze positions ${pair.join(',')}, notice ${notice}): ${views.join('; ') || String(error)}`);
        for (const i of frozen) await h.kill(i);
      }
      // The three carry on without them: never downed themselves, never see a zombie again.
      await h.waitFor(() => survivors.every((s) => seesUp(s, survivorAddresses)), 20_000, `round ${round}: the three to remove the pair`);
      for (const [k, s] of survivors.entries()) {
        expect(s.alive).toBe(true);
        expect(terminationOf(s)).toBeUndefined();
        const later = s.messages.slice(seenBefore[k]) as NodeReport[];
        const revived = later.filter((m) => m.type === 'state').flatMap((m) => m.members.filter((x) => zombieAddresses.includes(x.address) && x.status !== 'down'));
        expect(revived).toEqual([]);
      }
      // Two fresh nodes join through a survivor for the next round.
      seed = (survivors[0]?.messages[0] as NodeReport).hostPort;
      live = survivors.map((s) => s.index);
      if (round < ROUNDS.length - 1) for (let k = 0; k < 2; k++) live.push((await h.startNode()).index);
    }
    console.log(`[zombies] ${ROUNDS.length - failures.length}/${ROUNDS.length} rounds: both resumed nodes terminated by themselves`);
    expect(failures).toEqual([]);
    // The scenario really exercised the resumed pair finding out on its own.
    expect(selfDiscovered).toBeGreaterThan(0);
  });
});
