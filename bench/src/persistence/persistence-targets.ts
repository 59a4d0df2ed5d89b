import type { Figure } from '../core/report.js';
import { type Target, meets } from '../core/targets.js';

/** The persistence targets set when the persistence suite was written; each applies to the Troupe figure of its scenario (in-memory journal). */
export const PERSISTENCE_TARGETS: readonly Target[] = [
  { scenario: 'persist-1000-actors-in-memory', comparison: 'at-least', value: 500_000 },
  { scenario: 'recover-100k-events-in-memory', comparison: 'at-least', value: 1_000_000 },
];

/** One target checked against the measured Troupe figure. */
export interface TargetResult {
  readonly scenario: string;
  readonly target: string;
  readonly measured: number | undefined;
  readonly result: 'PASS' | 'FAIL' | 'not measured';
}

/** Each target with the Troupe figure measured for it (absent when `--only` skipped it). */
export function checkTargets(figures: readonly Figure[], unit: string): TargetResult[] {
  return PERSISTENCE_TARGETS.map((target) => {
    const measured = figures.find((figure) => figure.scenario === target.scenario && figure.subject === 'troupe')?.value;
    return {
      scenario: target.scenario,
      target: `${target.comparison === 'at-least' ? '≥' : '≤'} ${target.value.toLocaleString('en-US')} ${unit}`,
      measured: measured === undefined ? undefined : Math.round(measured),
      result: measured === undefined ? 'not measured' : meets(target, measured) ? 'PASS' : 'FAIL',
    };
  });
}

/** The target results as a Markdown table. */
export function formatTargets(results: readonly TargetResult[]): string {
  const rows = results.map((r) => `| ${r.scenario} | ${r.measured === undefined ? '—' : r.measured.toLocaleString('en-US')} | ${r.target} | ${r.result} |`);
  return ['| target scenario | troupe | target | result |', '|---|---:|---|---|', ...rows].join('\n');
}
