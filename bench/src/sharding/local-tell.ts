import type { ActorRef } from '@troupe/core';
import { type Sample, nextTurn, perSecond } from '../core/measurement.js';
import { BenchEntity, type BenchMessage, TICK, ticks } from './bench-entity.js';
import { type LocalNode, PLAIN } from './local-node.js';

/**
 * Local tell throughput: `count` ticks, `batch` per event-loop turn, spread round-robin
 * over `targets` actors, from outside any actor; the rate is ticks handled ÷ the time
 * from the first tell until the last tick was handled. Sharded: through `EntityRef`s of
 * active entities on this node; direct: through `ActorRef`s of the same actor class
 * spawned with `system.spawn`. Both count on one shared countdown.
 */

/** Anything with `tell`: an `EntityRef` or an `ActorRef`. */
interface Teller {
  tell(message: BenchMessage): void;
}

async function run(targets: readonly Teller[], count: number, batch: number): Promise<Sample> {
  const done = ticks.expect(count);
  const n = targets.length;
  const start = performance.now();
  let sent = 0;
  let next = 0;
  while (sent < count) {
    const end = Math.min(count, sent + batch);
    for (; sent < end; sent++) {
      (targets[next] as Teller).tell(TICK);
      if (++next === n) next = 0;
    }
    await nextTurn();
  }
  await done;
  return { rate: perSecond(count, performance.now() - start) };
}

/** Sharded and direct targets of one local run, made active before measuring. */
export async function localTargets(node: LocalNode, entities: number, prefix: string): Promise<{ sharded: Teller[]; direct: ActorRef<BenchMessage>[] }> {
  const sharded = Array.from({ length: entities }, (_, i) => node.sharding.entityRefFor(PLAIN, `${prefix}-${i}`));
  const address = node.cluster.selfAddress;
  const direct = Array.from({ length: entities }, () => node.cluster.system.spawn(() => new BenchEntity(address)));
  // The first tick starts each entity; wait for all of them.
  await run(sharded, entities, entities);
  await run(direct, entities, entities);
  return { sharded, direct };
}

/** One measured run of `count` ticks through `targets`. */
export function localTell(targets: readonly Teller[], count: number, batch: number): Promise<Sample> {
  return run(targets, count, batch);
}
