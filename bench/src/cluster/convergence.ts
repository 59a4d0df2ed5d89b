import type { FailureDetectorOptions } from '@troupe/cluster';
import { MemberCluster } from './member-cluster.js';

/**
 * Time to converge: `size` member processes, already loaded, are told to start: the
 * first founds the cluster, the others join through it as soon as it listens. The
 * figure is the time from telling the first to start until every member's own view
 * holds all `size` members, all Up (which the leader only does on gossip convergence).
 * Package defaults: gossip every 1 s, leader actions every 1 s, join retry 1 s.
 */

/** A formed cluster and how long it took. */
export interface Converged {
  readonly cluster: MemberCluster;
  readonly ms: number;
}

const CONVERGE_TIMEOUT_MS = 60_000;

/** Starts `size` members (default settings, or these failure-detector options) and measures the time until all see all Up; the caller closes the cluster. */
export async function converge(size: number, failureDetector?: FailureDetectorOptions): Promise<Converged> {
  const cluster = await MemberCluster.load(size);
  try {
    const start = performance.now();
    const options = failureDetector === undefined ? {} : { failureDetector };
    const seed = await cluster.request<{ hostPort: string }>(0, { type: 'start', seeds: [], ...options });
    for (let i = 1; i < size; i++) cluster.send(i, { type: 'start', seeds: [seed.hostPort], ...options });
    const allUp = (index: number): boolean => {
      const view = cluster.view(index);
      return view !== undefined && view.members.length === size && view.members.every((m) => m.status === 'up');
    };
    await cluster.waitFor(() => cluster.nodes.every((node) => allUp(node.index)), CONVERGE_TIMEOUT_MS, `${size} members to see all Up`);
    return { cluster, ms: performance.now() - start };
  } catch (error) {
    await cluster.close();
    throw error;
  }
}
