import type { WireGossip } from '../membership/gossip-wire.js';

/**
 * What travels inside a frame (a frame is an array of envelopes). The sender's
 * node address is not in the envelope: it is the authenticated peer of the connection.
 */
export type Envelope =
  /**
   * A user message: recipient path, serializer id, manifest, and the payload as `t`
   * (text), `b` (base64) or, after a JSON frame was decoded, `v` (the parsed JSON value).
   */
  | { readonly k: 'msg'; readonly to: string; readonly s: string; readonly m: string; readonly t?: string; readonly b?: string; readonly v?: unknown }
  /** A remote system message: watch / unwatch by `ref` (the watcher), or `dwn` (`ref` terminated). */
  | { readonly k: 'sys'; readonly to: string; readonly op: 'watch' | 'unwatch' | 'dwn'; readonly ref: string }
  | { readonly k: 'hb' }
  | { readonly k: 'hbr' }
  | { readonly k: 'gossip'; readonly g: WireGossip }
  | { readonly k: 'join'; readonly roles: readonly string[] }
  | { readonly k: 'welcome'; readonly g: WireGossip };

const isString = (x: unknown): x is string => typeof x === 'string';

/** The envelope `value` if it has a known kind and the fields that kind needs; else undefined. */
export function validateEnvelope(value: unknown): Envelope | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const e = value as Record<string, unknown>;
  switch (e.k) {
    case 'msg':
      return isString(e.to) && isString(e.s) && isString(e.m) && (isString(e.t) || isString(e.b) || (e.s === 'json' && 'v' in e)) ? (e as Envelope) : undefined;
    case 'sys':
      return isString(e.to) && isString(e.ref) && (e.op === 'watch' || e.op === 'unwatch' || e.op === 'dwn') ? (e as Envelope) : undefined;
    case 'hb':
    case 'hbr':
      return e as Envelope;
    case 'gossip':
    case 'welcome':
      return e.g !== null && typeof e.g === 'object' ? (e as Envelope) : undefined;
    case 'join':
      return Array.isArray(e.roles) && e.roles.every(isString) ? (e as Envelope) : undefined;
    default:
      return undefined;
  }
}
