/**
 * Whether the transport is writing messages for the wire right now. `ActorRef.toJSON`
 * runs inside any `JSON.stringify` (loggers, persistence payloads, …); only refs written
 * while a frame or a queued message is encoded are being sent to another node, so only
 * those are exported for replies.
 */
let depth = 0;

/** Runs `write(argument)` (synchronous) as wire encoding. (An argument rather than a closure: this runs per frame.) */
export function encodingForWire<A, T>(write: (argument: A) => T, argument: A): T {
  depth++;
  try {
    return write(argument);
  } finally {
    depth--;
  }
}

export function isEncodingForWire(): boolean {
  return depth > 0;
}
