import { collectGarbage, nextTurn, perSecond } from '../core/measurement.js';
import { BenchEntity, TICK, ticks } from './bench-entity.js';
import { LocalNode, PLAIN } from './local-node.js';

/**
 * Heap per idle active entity: a fresh one-node cluster; after a full GC, `count`
 * entities are started by one tick each (through `entityRefFor`, refs not kept), then
 * after another full GC the growth of `heapUsed`, divided by `count`, is the cost of one
 * idle entity: actor, cell, mailbox, the region's maps and its passivation entry.
 * Direct: the same actor spawned `count` times with `system.spawn` on another fresh node.
 */

/** What one heap run measured. */
export interface HeapRun {
  readonly bytesPerEntity: number;
  /** `heapUsed` after the GC with every entity active. */
  readonly heapUsedBytes: number;
  /** Entities started per second while filling the node. */
  readonly rate: number;
  readonly ms: number;
}

const BATCH = 1000;

async function measure(count: number, fill: (node: LocalNode, i: number) => void): Promise<HeapRun> {
  const node = await LocalNode.start();
  try {
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const done = ticks.expect(count);
    const start = performance.now();
    for (let i = 0; i < count;) {
      const end = Math.min(count, i + BATCH);
      for (; i < end; i++) fill(node, i);
      await nextTurn();
    }
    await done;
    const ms = performance.now() - start;
    collectGarbage();
    const after = process.memoryUsage().heapUsed;
    return { bytesPerEntity: (after - before) / count, heapUsedBytes: after, rate: perSecond(count, ms), ms };
  } finally {
    await node.close();
  }
}

/** `count` sharded entities on a fresh node. */
export function shardedHeap(count: number): Promise<HeapRun> {
  return measure(count, (node, i) => node.sharding.entityRefFor(PLAIN, `heap-${i}`).tell(TICK));
}

/** `count` actors spawned directly on a fresh node. */
export function directHeap(count: number): Promise<HeapRun> {
  return measure(count, (node) => node.cluster.system.spawn(() => new BenchEntity(node.cluster.selfAddress)).tell(TICK));
}
