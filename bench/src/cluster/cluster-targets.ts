import type { Target } from '../core/targets.js';

/**
 * A goal set for the cluster suite. `of: 'troupe'` holds Troupe's figure to `value`;
 * `of: 'troupe÷raw'` holds the ratio of Troupe's figure to the raw baseline's,
 * measured in the same run.
 */
export interface ClusterTarget extends Target {
  readonly of: 'troupe' | 'troupe÷raw';
}

/** The default frame codec: the throughput targets apply to it (the msgpackr rows are for choosing a codec). */
const tellTargets = (scenario: string): ClusterTarget[] => [
  { scenario, of: 'troupe', comparison: 'at-least', value: 1_000_000 },
  { scenario, of: 'troupe÷raw', comparison: 'at-least', value: 0.7 },
];

/** The cluster targets (goals the project set for remote messaging and failure detection). */
export const CLUSTER_TARGETS: readonly ClusterTarget[] = [
  ...tellTargets('remote-tell-json-batch-1000'),
  ...tellTargets('remote-tell-json-batch-100'),
  { scenario: 'remote-ask-sequential-p50', of: 'troupe÷raw', comparison: 'at-most', value: 1.5 },
  { scenario: 'remote-ask-sequential-p99', of: 'troupe÷raw', comparison: 'at-most', value: 1.5 },
  // "Must stay flat": bounded by 2 × monitoredPeers (5) a second, plus 5% for counting-window edges, and no growth from 10 to 20 nodes.
  { scenario: 'heartbeats-10-nodes', of: 'troupe', comparison: 'at-most', value: 10.5 },
  { scenario: 'heartbeats-20-nodes', of: 'troupe', comparison: 'at-most', value: 10.5 },
  { scenario: 'heartbeats-growth-10-to-20-nodes', of: 'troupe', comparison: 'at-most', value: 1.1 },
  { scenario: 'detect-killed-node-first', of: 'troupe', comparison: 'at-most', value: 5000 },
  { scenario: 'detect-killed-node-all', of: 'troupe', comparison: 'at-most', value: 5000 },
];

/** The targets of `scenario` (none, one or two). */
export function targetsOf(scenario: string): ClusterTarget[] {
  return CLUSTER_TARGETS.filter((target) => target.scenario === scenario);
}
