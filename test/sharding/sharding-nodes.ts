/**
 * Real node processes hosting persistent sharded counters on a journal they all share
 * (`fixtures/sharding-journal-node.mjs`), and what the tests ask of them.
 */
import { fileURLToPath } from 'node:url';
import { MultiNodeHarness, type NodeHandle } from '@troupe/testkit';

/** The shared journal the nodes write to. */
export type JournalSpec =
  | { readonly kind: 'kafka'; readonly brokers: readonly string[]; readonly topicPrefix: string }
  | { readonly kind: 'cassandra'; readonly contactPoints: readonly string[]; readonly keyspace: string }
  | { readonly kind: 'sqlite'; readonly path: string };

/** The failure-detector and downing settings of the fixture, for the measured lines. */
export const NODE_TIMINGS = 'heartbeat 200 ms, acceptable pause 1500 ms, gossip 200 ms, downing keep-majority with stable-after 1500 ms, 100 shards, shard retry 300 ms';

/** A membership report of a node (`at`: Date.now() when it was sent). */
export interface StateReport {
  readonly type: 'state';
  readonly address: string;
  readonly hostPort: string;
  readonly members: readonly { readonly address: string; readonly status: string }[];
  readonly unreachable: readonly string[];
  readonly at: number;
}

/** One answer of an `ask` command. */
export interface Answer {
  readonly id: string;
  readonly at: number;
  readonly error?: string;
  readonly reply?: { readonly id: string; readonly node: string; readonly seq?: number; readonly w?: string; readonly ws?: readonly string[]; readonly lastSequenceNr?: number };
}

/** What a `write-loop` command acknowledged, per id. */
export interface Written {
  readonly acked: Readonly<Record<string, readonly { readonly seq: number; readonly w: string }[]>>;
  readonly failed: number;
}

const script = fileURLToPath(new URL('./fixtures/sharding-journal-node.mjs', import.meta.url));
const SECRET = 'sharding-journal-test-secret-0123';

/** The latest membership report of a node. */
export function stateOf(node: NodeHandle): StateReport {
  return (node.messages as StateReport[]).filter((m) => m.type === 'state').at(-1) as StateReport;
}

/** The node's own address. */
export function addressOf(node: NodeHandle): string {
  return (node.messages[0] as StateReport).address;
}

/** True when `node` sees exactly `addresses` as its members, all Up. */
export function seesUp(node: NodeHandle, addresses: readonly string[]): boolean {
  const { members } = stateOf(node);
  return members.length === addresses.length && members.every((m) => m.status === 'up' && addresses.includes(m.address));
}

/** The first report of `node` for which `predicate` holds (for timing what it saw). */
export function firstReport(node: NodeHandle, predicate: (report: StateReport) => boolean): StateReport | undefined {
  return (node.messages as StateReport[]).find((m) => m.type === 'state' && predicate(m));
}

/** Starts `n` nodes on `journal` (node 0 founds the cluster) and resolves once every one sees all of them Up. */
export async function startShardingNodes(n: number, journal: JournalSpec, typeName: string): Promise<{ harness: MultiNodeHarness; addresses: string[] }> {
  const harness = await MultiNodeHarness.start({
    script,
    nodes: n,
    startOrder: 'sequential',
    startTimeoutMs: 30_000,
    args: (i, started) => [JSON.stringify({ secret: SECRET, seeds: i === 0 ? [] : [(started[0] as StateReport).hostPort], typeName, journal })],
  });
  try {
    const addresses = harness.nodes.map(addressOf);
    await harness.waitFor(() => harness.nodes.every((node) => seesUp(node, addresses)), 30_000, `${n} nodes Up everywhere`);
    return { harness, addresses };
  } catch (error) {
    await harness.cleanup();
    throw error;
  }
}

/**
 * Asks every id from node `node` at once; an id whose ask timed out is asked again until
 * `deadlineMs` has passed (0: one attempt each). `tag` is stored with each `add`.
 */
export async function askAll(harness: MultiNodeHarness, node: number, op: 'add' | 'get', ids: readonly string[], options: { tag?: string; timeoutMs: number; deadlineMs: number }): Promise<Answer[]> {
  const reply = await harness.request<{ answers: Answer[] }>(
    node,
    { type: 'ask', op, ids, tag: options.tag ?? '', timeoutMs: options.timeoutMs, deadlineMs: options.deadlineMs },
    options.deadlineMs + options.timeoutMs * 3 + 30_000,
  );
  return reply.answers;
}
