import type { ActorRef } from '../actor-ref.js';
import type { ActorSystem } from '../actor-system.js';

/** Told about each ref of a system as it is written as JSON. */
export type RefWrittenHook = (ref: ActorRef<unknown>) => void;

/**
 * Per-system hooks told when a ref is written as JSON (`ActorRef.toJSON`). A transport
 * that lets `JSON.stringify` write whole batches of messages uses one to remember the
 * local refs it sends, so replies to their paths can find them. (The temporary ref of an
 * ask is not reported: while the ask is pending, `resolveLocalRef` finds it by its path.)
 */
const hooks = new WeakMap<ActorSystem, RefWrittenHook>();
let installed = 0;

/** Installs `hook` for `system`, replacing any hook it had: told about each of its refs as it is written as JSON. */
export function setRefWrittenHook(system: ActorSystem, hook: RefWrittenHook): void {
  if (!hooks.has(system)) installed++;
  hooks.set(system, hook);
}

/** Called by `ActorRef.toJSON`: tells the hook of the ref's system, if any. */
export function refWrittenAsJson(ref: ActorRef<unknown>): void {
  // Most processes install none: skip the system lookup.
  if (installed > 0) hooks.get(ref.system)?.(ref);
}
