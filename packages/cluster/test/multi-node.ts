import { fileURLToPath } from 'node:url';
import { MultiNodeHarness, type NodeHandle } from '@troupe/testkit';
import { SECRET, fastOptions } from './fast-settings.js';

/** What the cluster-node fixture reports over IPC. */
export interface NodeReport {
  readonly type: 'state' | 'terminated';
  readonly at: number;
  readonly address: string;
  readonly hostPort: string;
  readonly members: readonly { readonly address: string; readonly status: string }[];
  readonly unreachable: readonly string[];
  readonly leader: string | undefined;
  readonly reason?: string;
}

const script = fileURLToPath(new URL('./fixtures/cluster-node.mjs', import.meta.url));

/**
 * Starts `n` cluster nodes in child processes; node 0 founds the cluster, the others join
 * through `seed()` (node 0 while it returns undefined), which is asked again for every node started later
 * with `harness.startNode()`.
 */
export function startClusterNodes(n: number, config: Record<string, unknown> = {}, seed?: () => string | undefined): Promise<MultiNodeHarness> {
  return MultiNodeHarness.start({
    script,
    nodes: n,
    startOrder: 'sequential',
    args: (i, started) => [JSON.stringify({ secret: SECRET, seeds: i === 0 ? [] : [seed?.() ?? (started[0] as NodeReport).hostPort], ...config })],
  });
}

/** The fixture's settings matching `fastOptions` (fast failure detection and stable-after). */
export const FAST_NODE_CONFIG = (() => {
  const fast = fastOptions();
  return Object.freeze({
    gossipIntervalMs: fast.gossipIntervalMs,
    heartbeatIntervalMs: fast.failureDetector?.heartbeatIntervalMs,
    acceptableHeartbeatPauseMs: fast.failureDetector?.acceptableHeartbeatPauseMs,
    stableAfterMs: fast.downing?.stableAfterMs,
  });
})();

/** The latest membership report of a node. */
export function stateOf(node: NodeHandle): NodeReport {
  const reports = node.messages.filter((m) => (m as NodeReport).type === 'state') as NodeReport[];
  return reports[reports.length - 1] as NodeReport;
}

/** The node's own address (from its first report). */
export function addressOf(node: NodeHandle): string {
  return (node.messages[0] as NodeReport).address;
}

/** The `terminated` report of a node, once it sent one. */
export function terminationOf(node: NodeHandle): NodeReport | undefined {
  return node.messages.find((m) => (m as NodeReport).type === 'terminated') as NodeReport | undefined;
}

/** True when `node` sees exactly `addresses` as Up members. */
export function seesUp(node: NodeHandle, addresses: readonly string[]): boolean {
  const state = stateOf(node);
  const up = state.members.filter((m) => m.status === 'up').map((m) => m.address);
  return state.members.length === addresses.length && up.length === addresses.length && addresses.every((a) => up.includes(a));
}
