import { Actor } from '@troupe/core';
import nact from 'nact';
import { Latch } from './latch.js';
import { type Sample, collectGarbage, nextTurn, perSecond } from './measurement.js';
import { nactSystem, stopNact, troupeSystem } from './systems.js';

/**
 * Spawn: `count` top-level actors from one synchronous loop. The clock stops when
 * every actor has started (its preStart ran; nact starts actors inside `spawn`).
 * Retained heap per actor: full GC, heapUsed, spawn and start them all, full GC,
 * heapUsed again, divided by `count`. It includes everything the system keeps per
 * actor (the actor, its cell and ref, its name, the parent's child-map entry, and
 * run-queue capacity grown by the spawn burst).
 */

class Idle extends Actor<never> {
  constructor(private readonly started: Latch) {
    super();
  }

  override preStart(): void {
    this.started.count();
  }

  receive(): void {}
}

/** Troupe: `count` anonymous top-level actors. */
export async function troupeSpawn(count: number): Promise<Sample> {
  const system = troupeSystem();
  try {
    const started = new Latch(count);
    const factory = (): Idle => new Idle(started);
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const start = performance.now();
    for (let i = 0; i < count; i++) system.spawn(factory);
    await started.done;
    const ms = performance.now() - start;
    await nextTurn();
    collectGarbage();
    const after = process.memoryUsage().heapUsed;
    return { rate: perSecond(count, ms), bytesPerActor: (after - before) / count };
  } finally {
    await system.terminate();
  }
}

/** nact: `count` stateless top-level actors (named, since nact's random names collide at this scale). */
export async function nactSpawn(count: number): Promise<Sample> {
  const system = nactSystem();
  try {
    const idle = (): void => {};
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const start = performance.now();
    for (let i = 0; i < count; i++) nact.spawnStateless(system, idle, `a${i}`);
    const ms = performance.now() - start;
    await nextTurn();
    collectGarbage();
    const after = process.memoryUsage().heapUsed;
    return { rate: perSecond(count, ms), bytesPerActor: (after - before) / count };
  } finally {
    await stopNact(system);
  }
}
