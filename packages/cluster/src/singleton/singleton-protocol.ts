import type { ActorRef } from '@troupe/core';
import type { Member } from '../membership/member.js';
import type { SingletonLocation } from './singleton-events.js';

/**
 * A user message on its way to the instance. `hops` counts forwards between managers, so
 * two managers whose views disagree about the oldest do not bounce it forever.
 */
export interface SingletonDeliver {
  readonly t: 'sg-deliver';
  readonly m: unknown;
  readonly hops: number;
}

/** Manager → older manager: stop your instance and tell me when it has terminated. */
export interface HandOverRequest {
  readonly t: 'sg-hand-over-request';
  readonly from: ActorRef<ManagerMessage>;
  /** The asking node's address. */
  readonly node: string;
}

/** Manager → manager: my instance has terminated and this node will never start one again (it is no longer Up). */
export interface HandOverDone {
  readonly t: 'sg-hand-over-done';
  /** The sending node's address. */
  readonly node: string;
}

/** Messages managers send each other, and proxies send managers. */
export type ManagerPeerMessage = SingletonDeliver | HandOverRequest | HandOverDone;

/** Messages a manager receives from its own node. */
export type ManagerLocalMessage =
  | { readonly t: 'sg-members'; readonly members: readonly Member[] }
  | { readonly t: 'sg-tick' }
  | { readonly t: 'sg-stop-timeout' }
  | { readonly t: 'sg-where'; readonly replyTo: ActorRef<SingletonLocation> }
  /** The node's exit task: answered once this node has no instance, is no longer Up and has told its successor. */
  | { readonly t: 'sg-when-handed-over'; readonly replyTo: ActorRef<HandedOverHere> };

/** The answer to `sg-when-handed-over`. */
export interface HandedOverHere {
  readonly t: 'sg-handed-over-here';
}

/** Everything a singleton manager handles. */
export type ManagerMessage = ManagerPeerMessage | ManagerLocalMessage;

/** Name of the manager actor of singleton `name`, below `/user`, on every node with its role. */
export function managerName(name: string): string {
  return `troupe-singleton-manager-${name}`;
}

/** Name of the proxy actor of singleton `name`, below `/user`, on every node that initialized it. */
export function proxyName(name: string): string {
  return `troupe-singleton-proxy-${name}`;
}
