import { type Figure, rounded } from '../core/report.js';
import { type ClusterTarget, meetsTarget, targetsOf } from './cluster-targets.js';

/** One target checked against the figures of a run. */
export interface TargetResult {
  readonly scenario: string;
  readonly of: ClusterTarget['of'];
  readonly comparison: ClusterTarget['comparison'];
  readonly value: number;
  readonly measured: number | undefined;
  readonly result: 'PASS' | 'FAIL' | 'NOT MEASURED';
}

const valueOf = (figures: readonly Figure[], scenario: string, subject: Figure['subject']): number | undefined =>
  figures.find((figure) => figure.scenario === scenario && figure.subject === subject)?.value;

/** Troupe ÷ raw for `scenario`, when both were measured. */
export function ratioToRaw(figures: readonly Figure[], scenario: string): number | undefined {
  const troupe = valueOf(figures, scenario, 'troupe');
  const raw = valueOf(figures, scenario, 'raw');
  return troupe === undefined || raw === undefined || raw === 0 ? undefined : troupe / raw;
}

/** Every target of the scenarios in `figures`, checked. */
export function checkTargets(figures: readonly Figure[]): TargetResult[] {
  const scenarios = [...new Set(figures.map((figure) => figure.scenario))];
  return scenarios.flatMap((scenario) =>
    targetsOf(scenario).map((target) => {
      const measured = target.of === 'troupe' ? valueOf(figures, scenario, 'troupe') : ratioToRaw(figures, scenario);
      const result = measured === undefined ? 'NOT MEASURED' : meetsTarget(target, measured) ? 'PASS' : 'FAIL';
      return { scenario, of: target.of, comparison: target.comparison, value: target.value, measured: measured === undefined ? undefined : rounded(measured), result };
    }),
  );
}

function formatNumber(value: number | undefined): string {
  return value === undefined ? '—' : rounded(value).toLocaleString('en-US');
}

function formatTarget(target: TargetResult, unit: string): string {
  const sign = target.comparison === 'at-least' ? '≥' : '≤';
  return target.of === 'troupe' ? `${sign} ${target.value.toLocaleString('en-US')} ${unit}` : `${sign} ${target.value}× raw`;
}

/** The figures as a text table: one row per scenario, Troupe beside raw, the ratio, its targets and the result. */
export function formatClusterTable(figures: readonly Figure[], results: readonly TargetResult[]): string {
  const scenarios = [...new Set(figures.map((figure) => figure.scenario))];
  const header = ['scenario', 'unit', 'troupe', 'raw', 'troupe ÷ raw', 'target', 'result'];
  const rows = scenarios.map((scenario) => {
    const unit = (figures.find((figure) => figure.scenario === scenario) as Figure).unit;
    const ratio = ratioToRaw(figures, scenario);
    const mine = results.filter((result) => result.scenario === scenario);
    const outcome = mine.length === 0 ? '' : mine.every((result) => result.result === 'PASS') ? 'PASS' : 'FAIL';
    return [
      scenario,
      unit,
      formatNumber(valueOf(figures, scenario, 'troupe')),
      formatNumber(valueOf(figures, scenario, 'raw')),
      ratio === undefined ? '' : `${ratio.toFixed(2)}×`,
      mine.map((result) => formatTarget(result, unit)).join('; '),
      outcome,
    ];
  });
  const numeric = (column: number) => column >= 2 && column <= 4;
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, column) => (numeric(column) ? cell.padStart(widths[column] as number) : cell.padEnd(widths[column] as number))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (numeric(column) ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
