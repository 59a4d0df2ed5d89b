/** This node's share of one entity type. */
export interface ShardRegionStats {
  readonly typeName: string;
  /** Shards whose entities run here (including those being handed off). */
  readonly shards: number;
  /** Active entities. */
  readonly entities: number;
  /** Shards being handed off to another node. */
  readonly handoffs: number;
  /** Shards waiting for other nodes to release them. */
  readonly acquiring: number;
  /** Messages held in the region's buffer. */
  readonly buffered: number;
}

/** Published on the event stream's `sharding` topic. */
export type ShardingEvent =
  | { readonly type: 'shard-started'; readonly typeName: string; readonly shard: number; readonly node: string }
  | { readonly type: 'shard-handoff-started'; readonly typeName: string; readonly shard: number; readonly node: string; readonly to: string | undefined }
  | { readonly type: 'shard-handed-off'; readonly typeName: string; readonly shard: number; readonly node: string; readonly to: string | undefined }
  | { readonly type: 'entity-passivated'; readonly typeName: string; readonly entityId: string; readonly node: string; readonly reason: 'idle' | 'limit' | 'requested' }
  | { readonly type: 'shard-count-mismatch'; readonly typeName: string; readonly node: string; readonly other: string; readonly local: number; readonly remote: number };

/** The event-stream topic of sharding events. */
export const SHARDING_TOPIC = 'sharding';
