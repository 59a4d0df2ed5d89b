/**
 * `@troupe/core/spi`: the extension points for packages that add ref kinds or
 * transports (e.g. `@troupe/cluster`'s remote refs). Applications do not need it.
 */
import type { ActorRef } from './actor-ref.js';
import { type ActorSystem, internalsOf } from './actor-system.js';
import type { DeadLetterReason } from './dead-letter.js';

export { sendSystemMessage } from './actor-ref.js';
export { type RefWrittenHook, setRefWrittenHook } from './internal/ref-json-hooks.js';
export type { SystemMessage } from './internal/system-message.js';

/** The local actor at `path` (as produced by `ref.path`), if it is alive. */
export function resolveLocalRef(system: ActorSystem, path: string): ActorRef<unknown> | undefined {
  const { runtime, guardian } = internalsOf(system);
  const prefix = `${runtime.address}/user`;
  if (path === prefix) return guardian.ref as ActorRef<unknown>;
  if (!path.startsWith(`${prefix}/`)) return undefined;
  let cell: { child(name: string): ActorRef<unknown> | undefined } = guardian;
  let ref: ActorRef<unknown> | undefined;
  for (const name of path.slice(prefix.length + 1).split('/')) {
    ref = cell.child(name);
    if (ref === undefined) return undefined;
    cell = (ref as unknown as { cell: typeof cell }).cell;
  }
  return ref;
}

/**
 * Runs the actors that have messages waiting now, on the caller's stack, rather than on
 * the next microtask. For transports: call it when an inbound frame has been delivered
 * (never from inside an actor), so the actors it woke can answer before the I/O callback
 * unwinds. Time slices still apply: after a full slice the dispatcher keeps yielding.
 */
export function runPendingActors(system: ActorSystem): void {
  internalsOf(system).runtime.dispatcher.runNow();
}

/** Publishes a dead letter on `system`'s event stream and counts it. */
export function publishDeadLetter(system: ActorSystem, message: unknown, recipient: string, reason: DeadLetterReason): void {
  internalsOf(system).runtime.deadLetter(message, recipient, reason);
}
