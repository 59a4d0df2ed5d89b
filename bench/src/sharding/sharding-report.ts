import { type PairedSubjects, type TargetResult, checkPairedTargets, formatPairedTable } from '../core/paired-report.js';
import type { Figure } from '../core/report.js';
import { targetsOf } from './sharding-targets.js';

export type { TargetResult };

/** The sharding suite measures a tell through an entity ref beside a direct tell. */
const SUBJECTS: PairedSubjects = { subject: 'sharded', baseline: 'direct' };

/** Every target of the scenarios in `figures`, checked. */
export function checkTargets(figures: readonly Figure[]): TargetResult[] {
  return checkPairedTargets(figures, SUBJECTS, targetsOf);
}

/** The figures as a text table: one row per scenario, sharded beside direct, the ratio, its target and the result. */
export function formatShardingTable(figures: readonly Figure[], results: readonly TargetResult[]): string {
  return formatPairedTable(figures, results, SUBJECTS);
}
