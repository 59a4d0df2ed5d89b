import { ActorSystem, silentLogger } from '@troupe/core';
import nact from 'nact';

let sequence = 0;

/** A fresh, silent Troupe system with a unique name; terminate it after each run. */
export function troupeSystem(): ActorSystem {
  return ActorSystem.create({ name: `bench-${sequence++}`, logger: silentLogger });
}

/** A nact system reference returned by `nact.start()`. */
export type NactSystem = ReturnType<typeof nact.start>;

/**
 * A fresh nact system. nact logs nothing unless a logging engine is configured with
 * `configureLogging`, so a bare `start()` is already silent.
 */
export function nactSystem(): NactSystem {
  return nact.start();
}

/** Stops a nact system and its actors (nact's stop is synchronous; `afterStop` hooks run on setImmediate). */
export async function stopNact(system: NactSystem): Promise<void> {
  nact.stop(system);
  await new Promise((resolve) => setImmediate(resolve));
}
