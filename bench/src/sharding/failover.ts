import { quantileOfSorted } from '../core/measurement.js';
import { ShardingCluster, epochNow } from './sharding-cluster.js';

/**
 * Failover: 3 member processes with `entities` persistent entities on one shared SQLite
 * journal, every entity started (asked once from member 0). A member other than member 0
 * and the leader is SIGKILLed; member 0 at once asks every entity that lived there again
 * (ask timeout ASK_TIMEOUT_MS, retried until it answers). Per entity: the time from
 * the kill until its answer, from a survivor. It includes failure detection, downing
 * (keep-majority after `stableAfterMs`), the acquire round of the new owner and the
 * entity's recovery from the journal.
 */

/** What one failover run measured. */
export interface FailoverRun {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Entities that lived on the killed member. */
  readonly moved: number;
  /** Entities that did not answer within the deadline (must be 0). */
  readonly unanswered: number;
}

const ASK_TIMEOUT_MS = 500;
const DEADLINE_MS = 60_000;

export async function failover(entities: number, tuned: boolean): Promise<FailoverRun> {
  const cluster = await ShardingCluster.load(3, { tuned, persistent: true });
  try {
    const addresses: string[] = [];
    for (let i = 0; i < 3; i++) addresses.push(await cluster.start(i));
    await cluster.waitUp([0, 1, 2], addresses, 60_000);
    const ids = Array.from({ length: entities }, (_, i) => `acct-${i}`);
    const placed = await cluster.ask(0, ids, { timeoutMs: 5000, deadlineMs: 30_000, concurrency: 100 });
    if (placed.some((a) => a.node === undefined)) throw new Error('failover: not every entity started');
    const leader = cluster.view(0)?.leader;
    const victim = [2, 1].find((i) => addresses[i] !== leader) as number;
    const victimAddress = addresses[victim] as string;
    const onVictim = placed.filter((a) => a.node === victimAddress).map((a) => a.id);
    const killedAt = epochNow();
    await cluster.kill(victim);
    const answers = await cluster.ask(0, onVictim, { timeoutMs: ASK_TIMEOUT_MS, deadlineMs: DEADLINE_MS, concurrency: onVictim.length });
    const answered = answers.filter((a) => a.at !== undefined && a.node !== victimAddress);
    const times = Float64Array.from(answered.map((a) => (a.at as number) - killedAt)).sort();
    return {
      p50: quantileOfSorted(times, 0.5),
      p99: quantileOfSorted(times, 0.99),
      max: times[times.length - 1] ?? Number.NaN,
      moved: onVictim.length,
      unanswered: onVictim.length - answered.length,
    };
  } finally {
    await cluster.close();
  }
}
