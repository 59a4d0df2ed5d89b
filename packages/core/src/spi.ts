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

const USER = '/user';
const TEMP = '/temp/';
const SLASH = 47;

/**
 * The local actor at `path` (as produced by `ref.path`), if it is alive; also the
 * temporary ref of a pending ask (`<address>/temp/$<id>`) whose path was handed out.
 */
export function resolveLocalRef(system: ActorSystem, path: string): ActorRef<unknown> | undefined {
  const { runtime, guardian } = internalsOf(system);
  const address = runtime.address;
  if (!path.startsWith(address)) return undefined;
  if (path.startsWith(TEMP, address.length)) return runtime.tempRefs.find(path.slice(address.length + TEMP.length));
  if (!path.startsWith(USER, address.length)) return undefined;
  if (path.length === address.length + USER.length) return guardian.ref as ActorRef<unknown>;
  if (path.charCodeAt(address.length + USER.length) !== SLASH) return undefined;
  let cell: { child(name: string): ActorRef<unknown> | undefined } = guardian;
  let ref: ActorRef<unknown> | undefined;
  for (const name of path.slice(address.length + USER.length + 1).split('/')) {
    ref = cell.child(name);
    if (ref === undefined) return undefined;
    cell = (ref as unknown as { cell: typeof cell }).cell;
  }
  return ref;
}

/**
 * Brackets a transport's delivery of one inbound frame, in the I/O callback that read it.
 * `begin()` starts a new time slice (the event loop has come round to I/O) and holds the
 * actors the frame wakes; `end()` runs them on the caller's stack, so their replies can
 * leave before the callback unwinds, rather than on a microtask after it. Call `end()` in
 * a `finally`. Time slices still apply: after a full slice the dispatcher keeps yielding.
 */
export interface InboundDelivery {
  begin(): void;
  end(): void;
}

/** The inbound-delivery brackets of `system` (see `InboundDelivery`); get it once and keep it. */
export function inboundDelivery(system: ActorSystem): InboundDelivery {
  const dispatcher = internalsOf(system).runtime.dispatcher;
  return { begin: () => dispatcher.beginInbound(), end: () => dispatcher.endInbound() };
}

/** Publishes a dead letter on `system`'s event stream and counts it. */
export function publishDeadLetter(system: ActorSystem, message: unknown, recipient: string, reason: DeadLetterReason): void {
  internalsOf(system).runtime.deadLetter(message, recipient, reason);
}
