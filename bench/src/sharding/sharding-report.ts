import { type Figure, rounded } from '../core/report.js';
import { type ShardingTarget, meets, targetsOf } from './sharding-targets.js';

/** One target checked against the figures of a run. */
export interface TargetResult {
  readonly scenario: string;
  readonly of: ShardingTarget['of'];
  readonly comparison: ShardingTarget['comparison'];
  readonly value: number;
  readonly measured: number | undefined;
  readonly result: 'PASS' | 'FAIL' | 'NOT MEASURED';
}

const valueOf = (figures: readonly Figure[], scenario: string, subject: Figure['subject']): number | undefined =>
  figures.find((figure) => figure.scenario === scenario && figure.subject === subject)?.value;

/** Sharded ÷ direct for `scenario`, when both were measured. */
export function ratioToDirect(figures: readonly Figure[], scenario: string): number | undefined {
  const sharded = valueOf(figures, scenario, 'sharded');
  const direct = valueOf(figures, scenario, 'direct');
  return sharded === undefined || direct === undefined || direct === 0 ? undefined : sharded / direct;
}

/** Every target of the scenarios in `figures`, checked. */
export function checkTargets(figures: readonly Figure[]): TargetResult[] {
  const scenarios = [...new Set(figures.map((figure) => figure.scenario))];
  return scenarios.flatMap((scenario) =>
    targetsOf(scenario).map((target) => {
      const measured = target.of === 'sharded' ? valueOf(figures, scenario, 'sharded') : ratioToDirect(figures, scenario);
      const result = measured === undefined || Number.isNaN(measured) ? 'NOT MEASURED' : meets(target, measured) ? 'PASS' : 'FAIL';
      return { scenario, of: target.of, comparison: target.comparison, value: target.value, measured: measured === undefined ? undefined : rounded(measured), result };
    }),
  );
}

function formatNumber(value: number | undefined): string {
  return value === undefined ? '—' : rounded(value).toLocaleString('en-US');
}

function formatTarget(target: TargetResult, unit: string): string {
  const sign = target.comparison === 'at-least' ? '≥' : '≤';
  return target.of === 'sharded' ? `${sign} ${target.value.toLocaleString('en-US')} ${unit}` : `${sign} ${target.value}× direct`;
}

/** The figures as a text table: one row per scenario, sharded beside direct, the ratio, its target and the result. */
export function formatShardingTable(figures: readonly Figure[], results: readonly TargetResult[]): string {
  const scenarios = [...new Set(figures.map((figure) => figure.scenario))];
  const header = ['scenario', 'unit', 'sharded', 'direct', 'sharded ÷ direct', 'target', 'result'];
  const rows = scenarios.map((scenario) => {
    const unit = (figures.find((figure) => figure.scenario === scenario) as Figure).unit;
    const ratio = ratioToDirect(figures, scenario);
    const mine = results.filter((result) => result.scenario === scenario);
    const outcome = mine.length === 0 ? '' : mine.every((result) => result.result === 'PASS') ? 'PASS' : 'FAIL';
    return [
      scenario,
      unit,
      formatNumber(valueOf(figures, scenario, 'sharded')),
      formatNumber(valueOf(figures, scenario, 'direct')),
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
