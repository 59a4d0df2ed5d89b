import { ActorRef } from '@troupe/core';
import type { Member } from '../membership/member.js';
import type { Listing } from './listing.js';
import { isServiceKeyName } from './service-key.js';

/** Name of the receptionist actor of every node, below `/user`. */
export const RECEPTIONIST_NAME = 'troupe-receptionist';

/** A registration on the wire: the key's name and the ref (written as a ref, so the owner's remoting exports it for messages from other nodes). */
export type WireRegistration = readonly [key: string, ref: ActorRef<unknown>];

/** Peer → peer: the sender's own registrations, all of them, at `version`; with `pull`, the receiver answers with its own. */
export interface FullState {
  readonly t: 'rc-full';
  readonly node: string;
  readonly version: number;
  readonly entries: readonly WireRegistration[];
  readonly pull: boolean;
}

/** Peer → peer: one change of the sender's own registrations, the step from `version - 1` to `version`. */
export interface Delta {
  readonly t: 'rc-delta';
  readonly node: string;
  readonly version: number;
  readonly added: readonly WireRegistration[];
  /** `[key, path]`: a removed registration needs no working ref. */
  readonly removed: readonly (readonly [string, string])[];
}

/** Peer → peer, every `syncIntervalMs`: the version of the sender's registrations (a receiver behind it pulls). */
export interface VersionHeartbeat {
  readonly t: 'rc-version';
  readonly node: string;
  readonly version: number;
}

/** Peer → peer: send me your full state. */
export interface Pull {
  readonly t: 'rc-pull';
  readonly node: string;
}

/** What receptionists send each other. */
export type PeerMessage = FullState | Delta | VersionHeartbeat | Pull;

/** A subscriber: an actor, or a function called on the receptionist's turn. `active` turns false at unsubscribe. */
export interface Subscription {
  readonly key: string;
  readonly target: ActorRef<Listing<unknown>> | ((listing: Listing<unknown>) => void);
  active: boolean;
}

/** What the receptionist gets from its own node. */
export type LocalMessage =
  | { readonly t: 'rc-register'; readonly key: string; readonly ref: ActorRef<unknown> }
  | { readonly t: 'rc-deregister'; readonly key: string; readonly ref: ActorRef<unknown> }
  | { readonly t: 'rc-find'; readonly key: string; readonly replyTo: ActorRef<Listing<unknown>> }
  | { readonly t: 'rc-subscribe'; readonly subscription: Subscription }
  | { readonly t: 'rc-unsubscribe'; readonly subscription: Subscription }
  | { readonly t: 'rc-members'; readonly members: readonly Member[] }
  | { readonly t: 'rc-tick' };

/** Everything the receptionist actor handles. */
export type ReceptionistMessage = PeerMessage | LocalMessage;

/** Why a peer message is malformed, or undefined when it is well formed (registrations are checked one by one: `registrationsFrom`). */
export function peerMessageProblem(msg: PeerMessage): string | undefined {
  if (typeof msg.node !== 'string') return 'no sender node';
  if (msg.t === 'rc-pull') return undefined;
  if (!(Number.isSafeInteger(msg.version) && msg.version >= 0)) return `bad version ${String(msg.version)}`;
  if (msg.t === 'rc-full' && !Array.isArray(msg.entries)) return 'entries is not an array';
  if (msg.t === 'rc-delta' && !(Array.isArray(msg.added) && Array.isArray(msg.removed))) return 'added/removed is not an array';
  return undefined;
}

/**
 * The well-formed `[key, path]` pairs of `entries` that name an actor of `node` (a node
 * only speaks for its own actors); `refused` counts the rest.
 */
export function registrationsFrom(node: string, entries: readonly unknown[]): { readonly registrations: [string, string][]; readonly refused: number } {
  const registrations: [string, string][] = [];
  let refused = 0;
  for (const entry of entries) {
    const [key, target] = Array.isArray(entry) ? (entry as unknown[]) : [];
    const path = target instanceof ActorRef ? target.path : target;
    if (isServiceKeyName(key) && typeof path === 'string' && path.startsWith(`${node}/`)) registrations.push([key, path]);
    else refused++;
  }
  return { registrations, refused };
}
