import type { EntityTypeKey } from '@troupe/cluster';
import { type Sample, nextTurn, perSecond, quantileOfSorted } from '../core/measurement.js';
import { BenchEntity, type BenchMessage, type Pong, TICK, ticks } from './bench-entity.js';
import type { LocalNode } from './local-node.js';

/**
 * Activation: entities started by their first message on a one-node cluster.
 *
 * Rate: `count` fresh entity ids, `batch` per event-loop turn, each addressed with
 * `entityRefFor` (hashing its id) and told one tick; the rate is entities ÷ the time
 * until every one of them has handled its tick. A persistent entity first recovers
 * (reads its empty history from the SQLite journal) and handles the tick after that.
 * Direct: `system.spawn` of the same actor class and one tick each, the floor that
 * sharding adds its routing and bookkeeping to.
 *
 * Latency: sequential asks, each to a fresh entity id (so each starts the entity),
 * timed from the call to the reply.
 */

const BATCH = 1000;

/** Entities started per second through sharding (`typeKey` decides plain or persistent). */
export async function activationRate(node: LocalNode, typeKey: EntityTypeKey<BenchMessage>, count: number, prefix: string): Promise<Sample> {
  const done = ticks.expect(count);
  const start = performance.now();
  for (let i = 0; i < count;) {
    const end = Math.min(count, i + BATCH);
    for (; i < end; i++) node.sharding.entityRefFor(typeKey, `${prefix}-${i}`).tell(TICK);
    await nextTurn();
  }
  await done;
  return { rate: perSecond(count, performance.now() - start) };
}

/** Actors spawned (and told one tick) per second with `system.spawn`. */
export async function directSpawnRate(node: LocalNode, count: number): Promise<Sample> {
  const system = node.cluster.system;
  const address = node.cluster.selfAddress;
  const done = ticks.expect(count);
  const start = performance.now();
  const spawned = [];
  for (let i = 0; i < count;) {
    const end = Math.min(count, i + BATCH);
    for (; i < end; i++) {
      const ref = system.spawn(() => new BenchEntity(address));
      ref.tell(TICK);
      spawned.push(ref);
    }
    await nextTurn();
  }
  await done;
  const sample = { rate: perSecond(count, performance.now() - start) };
  // Stopped after timing, so the runs after this one do not carry them (sharded entities of a run stay: there is no bulk stop).
  for (const ref of spawned) system.stop(ref);
  return sample;
}

/** p50/p99/max (ms) of `count` sequential asks, each to a new entity (its first message). */
export async function firstMessageLatency(node: LocalNode, typeKey: EntityTypeKey<BenchMessage>, count: number, prefix: string): Promise<Sample> {
  const times = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const ref = node.sharding.entityRefFor(typeKey, `${prefix}-${i}`);
    const start = performance.now();
    await ref.ask<Pong>((replyTo) => ({ type: 'ping', replyTo }), { timeoutMs: 10_000 });
    times[i] = performance.now() - start;
  }
  times.sort();
  return { p50: quantileOfSorted(times, 0.5), p99: quantileOfSorted(times, 0.99), max: times[count - 1] as number };
}
