import type { Target } from '../core/targets.js';

/**
 * A goal of the sharding suite. `of: 'sharded'` holds the sharded figure to `value`;
 * `of: 'sharded÷direct'` holds its ratio to the direct figure of the same run.
 */
export interface ShardingTarget extends Target {
  readonly of: 'sharded' | 'sharded÷direct';
}

/** The sharding targets (2-core machine). */
export const SHARDING_TARGETS: readonly ShardingTarget[] = [
  { scenario: 'local-tell-1-entity', of: 'sharded÷direct', comparison: 'at-least', value: 0.5 },
  { scenario: 'local-tell-100-entities', of: 'sharded÷direct', comparison: 'at-least', value: 0.5 },
  { scenario: 'remote-tell-batch-1000', of: 'sharded÷direct', comparison: 'at-least', value: 0.8 },
  { scenario: 'activation-rate', of: 'sharded', comparison: 'at-least', value: 20_000 },
  { scenario: 'activation-persistent-sqlite-rate', of: 'sharded', comparison: 'at-least', value: 5000 },
  { scenario: 'activation-first-message-p99', of: 'sharded', comparison: 'at-most', value: 20 },
  { scenario: 'activation-persistent-sqlite-first-message-p99', of: 'sharded', comparison: 'at-most', value: 20 },
  { scenario: 'failover-defaults-p99', of: 'sharded', comparison: 'at-most', value: 15_000 },
  { scenario: 'rebalance-4th-node-balanced', of: 'sharded', comparison: 'at-most', value: 20_000 },
  { scenario: 'rebalance-ask-during-handoff-p99', of: 'sharded', comparison: 'at-most', value: 1000 },
  { scenario: 'heap-per-idle-entity', of: 'sharded', comparison: 'at-most', value: 1024 },
];

/** The targets of `scenario`. */
export function targetsOf(scenario: string): ShardingTarget[] {
  return SHARDING_TARGETS.filter((target) => target.scenario === scenario);
}
