/**
 * Whether the transport is writing messages for the wire right now. `ActorRef.toJSON`
 * runs inside any `JSON.stringify` (loggers, persistence payloads, …); only refs written
 * while a frame or a queued message is encoded are being sent to another node, so only
 * those are exported for replies.
 */
let depth = 0;

/** Runs `write` (synchronous) as wire encoding. */
export function encodingForWire<T>(write: () => T): T {
  depth++;
  try {
    return write();
  } finally {
    depth--;
  }
}

export function isEncodingForWire(): boolean {
  return depth > 0;
}
