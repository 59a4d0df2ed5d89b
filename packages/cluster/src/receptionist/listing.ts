import type { ActorRef } from '@troupe/core';

/**
 * The actors registered under one service key, cluster-wide, as this node knows them:
 * what `find` resolves with and what subscribers receive. Plain data, so it can be told
 * to an actor on another node.
 */
export interface Listing<M> {
  readonly type: 'receptionist-listing';
  /** The service key's name. */
  readonly key: string;
  /** The registered actors, sorted by path; each registration once. */
  readonly refs: readonly ActorRef<M>[];
}
