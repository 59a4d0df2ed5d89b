import { type PairedSubjects, type TargetResult, checkPairedTargets, formatPairedTable } from '../core/paired-report.js';
import type { Figure } from '../core/report.js';
import { targetsOf } from './cluster-targets.js';

export type { TargetResult };

/** The cluster suite measures Troupe beside the raw `ws` baseline. */
const SUBJECTS: PairedSubjects = { subject: 'troupe', baseline: 'raw' };

/** Every target of the scenarios in `figures`, checked. */
export function checkTargets(figures: readonly Figure[]): TargetResult[] {
  return checkPairedTargets(figures, SUBJECTS, targetsOf);
}

/** The figures as a text table: one row per scenario, Troupe beside raw, the ratio, its targets and the result. */
export function formatClusterTable(figures: readonly Figure[], results: readonly TargetResult[]): string {
  return formatPairedTable(figures, results, SUBJECTS);
}
