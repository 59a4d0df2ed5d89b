import { quantileOfSorted } from '../core/measurement.js';
import { ShardingCluster, epochNow } from './sharding-cluster.js';
import type { AskAnswer } from './sharding-member.js';

/**
 * Rebalance: 3 member processes (package defaults, 1,000 shards) with `entities`
 * persistent entities on a shared SQLite journal, all started; member 0 then asks every
 * entity in rounds (ROUND_CONCURRENCY asks in flight, ask timeout 5 s, a failed ask
 * retried) without pause. A 4th member, already loaded, is told to join. Balanced: the
 * first round after which every entity answered from the same node in the next round,
 * the newcomer hosts shards, and no member has a handoff, an acquire round or buffered
 * messages. Reported: time from the join until the end of that round, and the ask
 * latencies (p50/p99/max) of every round from the join to then, beside those of the
 * rounds before the join.
 */

/** What one rebalance run measured. */
export interface RebalanceRun {
  readonly balancedMs: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Ask latencies before the join. */
  readonly steadyP50: number;
  readonly steadyP99: number;
  /** Failed asks (timeouts) during the handoff (each retried until it answered). */
  readonly failedAsks: number;
  /** Entities hosted per member once balanced. */
  readonly entitiesPerNode: readonly number[];
  readonly shardsPerNode: readonly number[];
  readonly rounds: number;
}

const ROUND_CONCURRENCY = 100;
const STEADY_ROUNDS = 3;
const DEADLINE_MS = 90_000;

function latencies(rounds: readonly (readonly AskAnswer[])[]): Float64Array {
  return Float64Array.from(rounds.flatMap((round) => round.map((a) => a.ms ?? Number.POSITIVE_INFINITY))).sort();
}

export async function rebalance(entities: number): Promise<RebalanceRun> {
  const cluster = await ShardingCluster.load(4, { tuned: false, persistent: true });
  try {
    const addresses: string[] = [];
    for (let i = 0; i < 3; i++) addresses.push(await cluster.start(i));
    await cluster.waitUp([0, 1, 2], addresses, 60_000);
    const ids = Array.from({ length: entities }, (_, i) => `item-${i}`);
    const round = () => cluster.ask(0, ids, { timeoutMs: 5000, deadlineMs: 30_000, concurrency: ROUND_CONCURRENCY });
    await round();
    const steady: AskAnswer[][] = [];
    for (let i = 0; i < STEADY_ROUNDS; i++) steady.push(await round());
    const joinedAt = epochNow();
    const joining = cluster.start(3);
    const during: AskAnswer[][] = [];
    let previous: AskAnswer[] | undefined;
    let previousEnd = 0;
    for (;;) {
      const answers = await round();
      const end = epochNow();
      if (answers.some((a) => a.node === undefined)) throw new Error('rebalance: an entity did not answer within 30 s');
      const newcomer = await joining;
      const stats = await Promise.all([0, 1, 2, 3].map((i) => cluster.stats(i)));
      const quiet = stats.every((s) => s.handoffs === 0 && s.acquiring === 0 && s.buffered === 0) && (stats[3]?.shards ?? 0) > 0;
      const same = previous !== undefined && answers.every((a, i) => a.node === previous?.[i]?.node) && answers.some((a) => a.node === newcomer);
      if (quiet && same) {
        const steadyTimes = latencies(steady);
        const times = latencies(during);
        return {
          balancedMs: previousEnd - joinedAt,
          p50: quantileOfSorted(times, 0.5),
          p99: quantileOfSorted(times, 0.99),
          max: times[times.length - 1] as number,
          steadyP50: quantileOfSorted(steadyTimes, 0.5),
          steadyP99: quantileOfSorted(steadyTimes, 0.99),
          failedAsks: during.reduce((sum, r) => sum + r.reduce((s, a) => s + a.failures, 0), 0),
          entitiesPerNode: stats.map((s) => s.entities),
          shardsPerNode: stats.map((s) => s.shards),
          rounds: during.length,
        };
      }
      during.push(answers);
      previous = answers;
      previousEnd = end;
      if (end - joinedAt > DEADLINE_MS) throw new Error(`rebalance: not balanced ${DEADLINE_MS / 1000} s after the join`);
    }
  } finally {
    await cluster.close();
  }
}
