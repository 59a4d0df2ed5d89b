/**
 * The key under which an actor class declares the message that stops it cleanly:
 * `static readonly [STOP_MESSAGE_KEY] = { type: 'stop' }`. A registry
 * symbol, so a package that depends only on `@troupe/core` (`ProjectionActor` of
 * `@troupe/projection`) declares it without importing this one.
 */
export const STOP_MESSAGE_KEY: unique symbol = Symbol.for('troupe.stopMessage');

/**
 * The stop message `actor`'s class declares under `STOP_MESSAGE_KEY`, or undefined.
 * A sharded daemon instance or singleton given no `stopMessage` uses it, so forgetting
 * the option cannot make an actor that must finish its work on stop (a projection
 * storing its offset) be stopped abruptly on a move.
 */
export function declaredStopMessage(actor: object): unknown {
  const constructor = (actor as { constructor?: unknown }).constructor;
  if (typeof constructor !== 'function') return undefined;
  return (constructor as unknown as Record<symbol, unknown>)[STOP_MESSAGE_KEY];
}
