import type { ClusterOptions } from '../cluster-settings.js';

/**
 * Cluster options that notice and down a killed node in about 4 s (measured in the failover
 * tests; the defaults are several times slower): heartbeats every 200 ms, 1.5 s of silence
 * tolerated, downing once the view has been stable for 1.5 s, gossip every 200 ms. For multi-process tests and demos on one machine.
 * Not for production: a 1.5 s pause (a long GC, a busy host) is enough to down a healthy node.
 * @example await Cluster.start({ name: 'it', port: 0, secret, seeds, ...QUICK_FAILURE_DETECTION });
 */
export const QUICK_FAILURE_DETECTION = {
  gossipIntervalMs: 200,
  retryJoinMs: 300,
  failureDetector: { heartbeatIntervalMs: 200, acceptableHeartbeatPauseMs: 1500, minStdDeviationMs: 100, expectedResponseAfterMs: 500 },
  downing: { stableAfterMs: 1500 },
} as const satisfies Partial<ClusterOptions>;
