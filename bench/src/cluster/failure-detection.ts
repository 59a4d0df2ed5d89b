import type { MemberCluster } from './member-cluster.js';

/**
 * Time to detect a killed node with the default failure-detector settings
 * (heartbeat 1 s, threshold 8, acceptable pause 5 s, min std deviation 100 ms): a
 * converged cluster whose detectors have warmed up; one member that is not the
 * leader is SIGKILLed (no goodbye). Measured from the kill until
 *  - the first survivor's view marks it unreachable (`firstMs`: the failure detector),
 *  - every survivor's view marks it unreachable (`allMs`: detection plus gossip),
 *  - optionally, no survivor's view holds it any more
 *    (`removedMs`: keep-majority downing after `stableAfterMs` = 7 s, then removal).
 */

export interface Detection {
  readonly firstMs: number;
  readonly allMs: number;
  readonly removedMs: number | undefined;
}

const TIMEOUT_MS = 60_000;

/** Kills one non-leader member of `cluster` and times its detection (and removal, with `removal`). */
export async function detectKilledNode(cluster: MemberCluster, removal: boolean): Promise<Detection> {
  const leader = cluster.view(0)?.leader;
  const victim = [...cluster.nodes].reverse().find((node) => cluster.view(node.index)?.address !== leader);
  if (victim === undefined) throw new Error('no member to kill');
  const address = cluster.view(victim.index)?.address as string;
  const survivors = cluster.nodes.filter((node) => node !== victim).map((node) => node.index);
  const sees = (index: number): boolean => {
    const view = cluster.view(index);
    return view !== undefined && (view.unreachable.includes(address) || !view.members.some((m) => m.address === address && m.status !== 'down'));
  };
  const start = performance.now();
  await cluster.kill(victim.index);
  await cluster.waitFor(() => survivors.some(sees), TIMEOUT_MS, `a survivor to mark ${address} unreachable`);
  const firstMs = performance.now() - start;
  await cluster.waitFor(() => survivors.every(sees), TIMEOUT_MS, `every survivor to mark ${address} unreachable`);
  const allMs = performance.now() - start;
  if (!removal) return { firstMs, allMs, removedMs: undefined };
  const gone = (index: number): boolean => cluster.view(index)?.members.some((m) => m.address === address) === false;
  await cluster.waitFor(() => survivors.every(gone), TIMEOUT_MS, `every survivor to remove ${address}`);
  return { firstMs, allMs, removedMs: performance.now() - start };
}
