import { type Figure, rounded } from './report.js';
import { type Target, meets } from './targets.js';

/**
 * The two subjects a suite measures side by side: `subject` is what Troupe offers (e.g.
 * `troupe`, `sharded`), `baseline` what it is compared with in the same run (`raw`, `direct`).
 */
export interface PairedSubjects {
  readonly subject: Figure['subject'];
  readonly baseline: Figure['subject'];
}

/** A goal that holds either the subject's figure (`of` = the subject) or its ratio to the baseline (`of` = `subject÷baseline`) to `value`. */
export interface PairedTarget extends Target {
  readonly of: string;
}

/** One target checked against the figures of a run. */
export interface TargetResult {
  readonly scenario: string;
  readonly of: string;
  readonly comparison: Target['comparison'];
  readonly value: number;
  readonly measured: number | undefined;
  readonly result: 'PASS' | 'FAIL' | 'NOT MEASURED';
}

const valueOf = (figures: readonly Figure[], scenario: string, subject: Figure['subject']): number | undefined =>
  figures.find((figure) => figure.scenario === scenario && figure.subject === subject)?.value;

/** Subject ÷ baseline for `scenario`, when both were measured. */
export function pairedRatio(figures: readonly Figure[], scenario: string, subjects: PairedSubjects): number | undefined {
  const mine = valueOf(figures, scenario, subjects.subject);
  const base = valueOf(figures, scenario, subjects.baseline);
  return mine === undefined || base === undefined || base === 0 ? undefined : mine / base;
}

/** Every target of the scenarios in `figures`, checked. */
export function checkPairedTargets(figures: readonly Figure[], subjects: PairedSubjects, targetsOf: (scenario: string) => readonly PairedTarget[]): TargetResult[] {
  const scenarios = [...new Set(figures.map((figure) => figure.scenario))];
  return scenarios.flatMap((scenario) =>
    targetsOf(scenario).map((target) => {
      const measured = target.of === subjects.subject ? valueOf(figures, scenario, subjects.subject) : pairedRatio(figures, scenario, subjects);
      const result = measured === undefined || Number.isNaN(measured) ? 'NOT MEASURED' : meets(target, measured) ? 'PASS' : 'FAIL';
      return { scenario, of: target.of, comparison: target.comparison, value: target.value, measured: measured === undefined ? undefined : rounded(measured), result };
    }),
  );
}

function formatNumber(value: number | undefined): string {
  return value === undefined ? '—' : rounded(value).toLocaleString('en-US');
}

function formatTarget(target: TargetResult, unit: string, subjects: PairedSubjects): string {
  const sign = target.comparison === 'at-least' ? '≥' : '≤';
  return target.of === subjects.subject ? `${sign} ${target.value.toLocaleString('en-US')} ${unit}` : `${sign} ${target.value}× ${subjects.baseline}`;
}

/** The figures as a text table: one row per scenario, the subject beside the baseline, the ratio, its targets and the result. */
export function formatPairedTable(figures: readonly Figure[], results: readonly TargetResult[], subjects: PairedSubjects): string {
  const scenarios = [...new Set(figures.map((figure) => figure.scenario))];
  const header = ['scenario', 'unit', subjects.subject, subjects.baseline, `${subjects.subject} ÷ ${subjects.baseline}`, 'target', 'result'];
  const rows = scenarios.map((scenario) => {
    const unit = (figures.find((figure) => figure.scenario === scenario) as Figure).unit;
    const ratio = pairedRatio(figures, scenario, subjects);
    const mine = results.filter((result) => result.scenario === scenario);
    const outcome = mine.length === 0 ? '' : mine.every((result) => result.result === 'PASS') ? 'PASS' : 'FAIL';
    return [
      scenario,
      unit,
      formatNumber(valueOf(figures, scenario, subjects.subject)),
      formatNumber(valueOf(figures, scenario, subjects.baseline)),
      ratio === undefined ? '' : `${ratio.toFixed(2)}×`,
      mine.map((result) => formatTarget(result, unit, subjects)).join('; '),
      outcome,
    ];
  });
  const numeric = (column: number) => column >= 2 && column <= 4;
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, column) => (numeric(column) ? cell.padStart(widths[column] as number) : cell.padEnd(widths[column] as number))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (numeric(column) ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
