import type { ActorRef } from '@troupe/core';

/**
 * Where a shard stands on this node: `acquiring` (this node owns it in its view and
 * waits for the other live hosts to release it; messages wait), `starting` (acquired,
 * its remembered entities being read from the remember-entities store; messages wait), `active` (its
 * entities run here), `handing-off` (it belongs elsewhere now; its entities are
 * stopping and messages wait).
 */
export type ShardState = 'acquiring' | 'starting' | 'active' | 'handing-off';

const NAME = /^[A-Za-z0-9_.\-:@]{1,200}$/;

/** One shard of an entity type on this node, with its entities. Mutable; owned by its region. */
export class Shard {
  state: ShardState = 'acquiring';
  /** Active entities by id. */
  readonly entities = new Map<string, ActorRef<unknown>>();
  /** Entities told to stop for passivation and not yet terminated. */
  readonly passivating = new Set<string>();
  /** The acquire round in progress (unique per region). */
  round = 0;
  /** Nodes whose release the acquire round still waits for. */
  readonly awaiting = new Set<string>();

  constructor(
    /** The shard id. */
    readonly id: number,
  ) {}
}

/**
 * The child name of entity `entityId`: `id-<entityId>` when it is a valid actor
 * name, otherwise `b64-<base64url of it>`, so any string can be an entity id.
 */
export function entityActorName(entityId: string): string {
  return NAME.test(entityId) ? `id-${entityId}` : `b64-${Buffer.from(entityId, 'utf8').toString('base64url')}`;
}
