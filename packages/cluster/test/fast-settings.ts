import { silentLogger } from '@troupe/core';
import { afterEach } from 'vitest';
import { Cluster, type ClusterOptions } from '../src/index.js';

/** Test settings: short intervals so multi-node tests finish in seconds. */
export const SECRET = 'test-secret-0123456789abcdef';

export function fastOptions(extra: Partial<ClusterOptions> = {}): ClusterOptions {
  return {
    name: 'test',
    host: '127.0.0.1',
    port: 0,
    secret: SECRET,
    gossipIntervalMs: 100,
    retryJoinMs: 200,
    failureDetector: { heartbeatIntervalMs: 100, acceptableHeartbeatPauseMs: 1000, minStdDeviationMs: 50, expectedResponseAfterMs: 300 },
    downing: { stableAfterMs: 1000 },
    system: { logger: silentLogger },
    ...extra,
  };
}

/**
 * For a test file: returns `start(extra)`, which starts a node with the fast settings,
 * and shuts every node it started down after each test.
 */
export function clusterFixture(): (extra?: Partial<ClusterOptions>) => Promise<Cluster> {
  const started: Cluster[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((cluster) => cluster.shutdown()));
  });
  return async (extra = {}) => {
    const cluster = await Cluster.start(fastOptions(extra));
    started.push(cluster);
    return cluster;
  };
}
