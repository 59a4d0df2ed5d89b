import type { ActorRef } from '@troupe/core';
import type { Member } from '../membership/member.js';
import type { RememberLoaded, RememberWritten } from './remembered-entities.js';
import type { EntityRoute } from './entity-route.js';
import type { ShardRegionStats } from './sharding-events.js';

/**
 * A message for entity `entityId`, on its way to the region hosting its shard.
 * `hops` counts forwards between regions (so two regions that disagree about the
 * owner do not bounce it forever); `n` is the sender's shard count.
 */
export interface DeliverEnvelope {
  readonly t: 'sh-deliver';
  readonly entityId: string;
  readonly shard: number;
  readonly message: unknown;
  readonly hops: number;
  readonly n: number;
  /** Not sent any more (a refusal goes to the region on `node`); read for envelopes of older nodes. */
  readonly from?: ActorRef<RegionMessage>;
  /** The forwarding region's node address (absent when the message comes from an `EntityRef` on the same node). */
  readonly node?: string;
  /** Same node only, never forwarded: the sending `EntityRef`'s route, which counts this message until the region takes it. */
  readonly route?: EntityRoute;
}

/**
 * A message for entity `e` forwarded by a region to another node's: `DeliverEnvelope` with
 * one-letter fields (frames are JSON, and decoding them is most of a remote message's cost
 * on the receiving node). Once a region has forwarded one, this node's `EntityRef`s send
 * the entity's messages without any envelope, to its path below the owner's region
 * (`entityInletPath`).
 */
export interface WireDeliver {
  readonly t: 'sh-d';
  /** Entity id. */
  readonly e: string;
  /** Shard. */
  readonly s: number;
  /** The message. */
  readonly m: unknown;
  /** Hops so far. */
  readonly h: number;
  /** The sender's shard count. */
  readonly n: number;
  /** The sending node's address (absent in messages of older nodes). */
  readonly o?: string;
}

/** Region → region: release these shards, `[shard, round]` (answered by `AcquireReply` with the same rounds). */
export interface AcquireRequest {
  readonly t: 'sh-acquire';
  readonly entries: readonly (readonly [number, number])[];
  readonly from: ActorRef<RegionMessage>;
  /** The sending region's node address. */
  readonly node: string;
  readonly n: number;
}

/** Region → region: of the shards asked for in `round`, these are released and those still held. */
export interface AcquireReply {
  readonly t: 'sh-acquire-reply';
  /** `[shard, round]` of the released shards. */
  readonly released: readonly (readonly [number, number])[];
  readonly held: readonly number[];
  readonly from: ActorRef<RegionMessage>;
  /** The sending region's node address. */
  readonly node: string;
  readonly n: number;
}

/** Region → region: this node finished handing these shards off (the receiver retries its acquire round now). */
export interface HandedOff {
  readonly t: 'sh-handed-off';
  readonly shards: readonly number[];
  readonly from: ActorRef<RegionMessage>;
  /** The sending region's node address. */
  readonly node: string;
  readonly n: number;
}

/** Region → region: your message was refused, this node uses shard count `n`. */
export interface ShardCountRefused {
  readonly t: 'sh-count-refused';
  readonly from: ActorRef<RegionMessage>;
  /** The sending region's node address. */
  readonly node: string;
  readonly n: number;
}

/** Region → region, once per member as soon as both are known: the sender's shard count, so a mismatch is found at join, not at the first message. */
export interface ShardCountCheck {
  readonly t: 'sh-count-check';
  readonly from: ActorRef<RegionMessage>;
  /** The sending region's node address. */
  readonly node: string;
  readonly n: number;
}

/** Messages regions send each other (each carries the sender's shard count). */
export type PeerMessage = DeliverEnvelope | WireDeliver | AcquireRequest | AcquireReply | HandedOff | ShardCountRefused | ShardCountCheck;

/** Messages a region receives from its own node. */
export type LocalRegionMessage =
  | { readonly t: 'sh-members'; readonly members: readonly Member[] }
  | { readonly t: 'sh-tick' }
  | { readonly t: 'sh-handoff-timeout'; readonly shard: number }
  | { readonly t: 'sh-passivate'; readonly entity: ActorRef<never> }
  | { readonly t: 'sh-stats'; readonly replyTo: ActorRef<ShardRegionStats> }
  | RememberLoaded
  | RememberWritten
  /** Restart a remembered entity that stopped without being passivated. */
  | { readonly t: 'sh-remember-restart'; readonly shard: number; readonly entityId: string }
  /** Answer `true` once this region hosts no shard (every handoff finished): a leaving node waits for it. */
  | { readonly t: 'sh-when-handed-off'; readonly replyTo: ActorRef<true> };

/** Everything a shard region handles. */
export type RegionMessage = PeerMessage | LocalRegionMessage;

/** Name of the region actor of entity type `typeName`, below `/user`. */
export function regionName(typeName: string): string {
  return `troupe-sharding-${typeName}`;
}
