import type { WireGossip } from '../membership/gossip-wire.js';

/**
 * A user message whose payload is a plain JSON value (the registry's built-in JSON
 * serializer): it is written with its frame, by one `JSON.stringify` per frame, and
 * read back by the frame's `JSON.parse`. Refs in it are written by `ActorRef.toJSON`
 * as `{ "$troupe.ref": path }`.
 */
export interface JsonMessageEnvelope {
  readonly k: 'msg';
  /** Recipient path relative to the receiving node, e.g. `/user/orders`. */
  readonly to: string;
  /** The message: as told on the sending side, as parsed (refs still `{ "$troupe.ref": path }`) on the receiving side. */
  readonly v: unknown;
}

/** A user message serialised by a serializer of its own: as text (`t`) or base64 bytes (`b`). */
export interface SerializedMessageEnvelope {
  readonly k: 'msg';
  readonly to: string;
  /** Serializer id and manifest. */
  readonly s: string;
  readonly m: string;
  readonly t?: string;
  readonly b?: string;
  readonly r: boolean;
  /** Sender side only, never written to a frame: the message as told, for dead letters. */
  readonly original?: unknown;
}

export type MessageEnvelope = JsonMessageEnvelope | SerializedMessageEnvelope;

/**
 * What a connection carries (see frame-layout.ts for how a batch of them is laid out
 * in a frame). The sender's node address is in none of them: it is the authenticated
 * peer of the connection.
 */
export type Envelope =
  | MessageEnvelope
  | SystemEnvelope
  | { readonly k: 'hb' }
  | { readonly k: 'hbr' }
  | { readonly k: 'gossip'; readonly g: WireGossip }
  | { readonly k: 'join'; readonly roles: readonly string[] }
  | { readonly k: 'welcome'; readonly g: WireGossip };

/**
 * A remote system message (full paths): watch / unwatch by `ref` (the watcher), `dwn`
 * (`ref` terminated), or `stop` (`system.stop` of a remote ref).
 */
export type SystemEnvelope =
  { readonly k: 'sys'; readonly to: string; readonly op: 'watch' | 'unwatch' | 'dwn'; readonly ref: string } | { readonly k: 'sys'; readonly to: string; readonly op: 'stop' };

/**
 * What a frame is read into, besides runs of JSON messages (which the transport hands
 * over as runs, never one envelope per message).
 */
export type InboundEnvelope = Exclude<Envelope, JsonMessageEnvelope>;

export function isJsonMessage(envelope: MessageEnvelope): envelope is JsonMessageEnvelope {
  return (envelope as SerializedMessageEnvelope).s === undefined;
}

const isString = (x: unknown): x is string => typeof x === 'string';

/** A path relative to a node: starts with `/`. */
export const isRelativePath = (x: unknown): x is string => typeof x === 'string' && x.charCodeAt(0) === 47;

/**
 * The envelope `value` if it is a non-message envelope of a known kind with the fields
 * that kind needs; else undefined. (Messages are checked as the frame is read.)
 */
export function validateControlEnvelope(value: unknown): InboundEnvelope | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const e = value as Record<string, unknown>;
  switch (e.k) {
    case 'sys':
      if (!isString(e.to)) return undefined;
      if (e.op === 'stop') return e as InboundEnvelope;
      return isString(e.ref) && (e.op === 'watch' || e.op === 'unwatch' || e.op === 'dwn') ? (e as InboundEnvelope) : undefined;
    case 'hb':
    case 'hbr':
      return e as InboundEnvelope;
    case 'gossip':
    case 'welcome':
      return e.g !== null && typeof e.g === 'object' ? (e as InboundEnvelope) : undefined;
    case 'join':
      return Array.isArray(e.roles) && e.roles.every(isString) ? (e as InboundEnvelope) : undefined;
    default:
      return undefined;
  }
}
