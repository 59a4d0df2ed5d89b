import { TroupeError } from '@troupe/core';

/** Two regions of one entity type were configured with different shard counts; their messages are refused. */
export class ShardCountMismatchError extends TroupeError {
  constructor(
    /** The entity type. */
    readonly typeName: string,
    /** The other node. */
    readonly node: string,
    /** This node's shard count. */
    readonly local: number,
    /** The other node's shard count. */
    readonly remote: number,
  ) {
    super(
      'ERR_SHARDING_SHARD_COUNT_MISMATCH',
      `sharding "${typeName}": ${node} uses numberOfShards ${remote} but this node uses ${local}; every node must use the same count (stop the cluster to change it)`,
    );
  }
}
