import { type ClusterOptions, EntityTypeKey } from '@troupe/cluster';
import type { Tick } from './bench-entity.js';

/** What the remote sink entities and the direct `sink` actor accept. */
export type SinkMessage = Tick;

/** The entity type of the remote-tell pair; hosted only by members with role `host`. */
export const SINK = EntityTypeKey.of<SinkMessage>('bench-sink');

/**
 * The tuned settings of the package's multi-node sharding tests
 * (`packages/cluster/test/fixtures/sharding-node.mjs`): heartbeat 200 ms, acceptable pause
 * 1.5 s, downing stable-after 1.5 s, gossip 200 ms.
 */
export const TUNED_CLUSTER: Partial<ClusterOptions> = Object.freeze({
  gossipIntervalMs: 200,
  retryJoinMs: 300,
  failureDetector: { heartbeatIntervalMs: 200, acceptableHeartbeatPauseMs: 1500, minStdDeviationMs: 100, expectedResponseAfterMs: 500 },
  downing: { stableAfterMs: 1500 },
});

/** The tests' `retryIntervalMs` of sharding (package default 1000 ms). */
export const TUNED_RETRY_INTERVAL_MS = 300;
