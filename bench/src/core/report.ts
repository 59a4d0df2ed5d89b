import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { meets, targetOf } from './targets.js';

/** Who produced a figure. */
export type Subject = 'troupe' | 'nact' | 'raw' | 'sharded' | 'direct';

/** One measured (or, for `…-vs-none`, derived from two measured) number. */
export interface Figure {
  readonly scenario: string;
  readonly subject: Subject;
  readonly value: number;
  readonly unit: string;
}

/** What `core.json` starts with: where and how the figures were taken. */
export interface ResultsHeader {
  readonly type: 'header';
  readonly node: string;
  readonly cpu: string;
  readonly cpus: number;
  readonly date: string;
  readonly statistic: string;
  /** Messages, asks or actors per measured run, per scenario and subject. */
  readonly counts: Readonly<Record<string, Partial<Record<Subject, number>>>>;
}

const SUBJECTS: readonly Subject[] = ['troupe', 'nact', 'raw'];

/** Rounds for display and JSON: whole numbers for rates, two decimals for small values. */
export function rounded(value: number): number {
  return Math.abs(value) >= 1000 ? Math.round(value) : Math.round(value * 100) / 100;
}

function formatValue(value: number | undefined): string {
  if (value === undefined) return '—';
  return rounded(value).toLocaleString('en-US');
}

function formatTarget(scenario: string, unit: string): string {
  const target = targetOf(scenario);
  if (target === undefined) return '';
  return `${target.comparison === 'at-least' ? '≥' : '≤'} ${target.value.toLocaleString('en-US')} ${unit}`;
}

/** The figures as a text table, one row per scenario, with Troupe's pass/fail against its target. */
export function formatTable(figures: readonly Figure[]): string {
  const scenarios = [...new Set(figures.map((figure) => figure.scenario))];
  const header = ['scenario', 'unit', ...SUBJECTS, 'troupe ÷ nact', 'target (troupe)', 'result'];
  const rows = scenarios.map((scenario) => {
    const of = (subject: Subject) => figures.find((figure) => figure.scenario === scenario && figure.subject === subject);
    const unit = (figures.find((figure) => figure.scenario === scenario) as Figure).unit;
    const troupe = of('troupe')?.value;
    const nact = of('nact')?.value;
    const target = targetOf(scenario);
    const ratio = troupe !== undefined && nact !== undefined && nact !== 0 && unit !== '%' ? `${(troupe / nact).toFixed(2)}×` : '';
    const result = target === undefined || troupe === undefined ? '' : meets(target, troupe) ? 'PASS' : 'FAIL';
    return [scenario, unit, ...SUBJECTS.map((subject) => formatValue(of(subject)?.value)), ratio, formatTarget(scenario, unit), result];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => (column >= 2 && column <= 5 ? cell.padStart(widths[column] as number) : cell.padEnd(widths[column] as number))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column >= 2 && column <= 5 ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** One JSON object per line: `{"scenario","subject","value","unit"}`. */
export function formatJsonLines(figures: readonly Figure[]): string {
  return figures.map((figure) => JSON.stringify({ scenario: figure.scenario, subject: figure.subject, value: rounded(figure.value), unit: figure.unit })).join('\n');
}

/** Writes `[header, ...figures]` to `file` (via a temporary file, so a crash never leaves half a file). */
export async function writeResults(file: URL, header: ResultsHeader, figures: readonly Figure[]): Promise<string> {
  const path = fileURLToPath(file);
  await mkdir(dirname(path), { recursive: true });
  const body = [header, ...figures.map((figure) => ({ scenario: figure.scenario, subject: figure.subject, value: rounded(figure.value), unit: figure.unit }))];
  await writeFile(`${path}.tmp`, `${JSON.stringify(body, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
  return path;
}
