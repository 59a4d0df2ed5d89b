import {
  type MonthlyTemperature,
  type StationDay,
  type StationMonth,
  type StationYear,
  type TemperatureStats,
  annualPrecipitation,
  dailyPrecipitation,
  dailyTemperature,
  monthlyTemperature,
  stationDayKey,
  stationMonthKey,
  stationYearKey,
} from './daily-aggregates.js';
import type { Reading } from './reading.js';

/** A row of `daily_aggregate_temperature`. */
export type DailyTemperatureRow = StationDay & TemperatureStats;
/** A row of `daily_aggregate_precip`. */
export type DailyPrecipitationRow = StationDay & { readonly precipitation: number };
/** A row of `monthly_aggregate_temperature`. */
export type MonthlyTemperatureRow = StationMonth & MonthlyTemperature;
/** A row of `year_cumulative_precip`. */
export type AnnualPrecipitationRow = StationYear & { readonly precipitation: number };

/** Every aggregate row of the read model, each table keyed by `stationDayKey` / `stationMonthKey` / `stationYearKey`. */
export interface WeatherAggregates {
  readonly dailyTemperature: ReadonlyMap<string, DailyTemperatureRow>;
  readonly dailyPrecipitation: ReadonlyMap<string, DailyPrecipitationRow>;
  readonly monthlyTemperature: ReadonlyMap<string, MonthlyTemperatureRow>;
  readonly annualPrecipitation: ReadonlyMap<string, AnnualPrecipitationRow>;
}

/** The table names of `WeatherAggregates`. */
export type AggregateTable = keyof WeatherAggregates;

/** The aggregate tables, in the order they are reported. */
export const AGGREGATE_TABLES: readonly AggregateTable[] = ['dailyTemperature', 'dailyPrecipitation', 'monthlyTemperature', 'annualPrecipitation'];

/** What to change in the read model so its aggregates equal the expected ones. */
export interface AggregateCorrection {
  /** Rows to write (missing or different). */
  readonly upserts: { readonly [T in AggregateTable]: readonly (WeatherAggregates[T] extends ReadonlyMap<string, infer R> ? R : never)[] };
  /** Rows to remove (present in the read model, absent from the expected aggregates). */
  readonly deletes: { readonly [T in AggregateTable]: readonly (WeatherAggregates[T] extends ReadonlyMap<string, infer R> ? R : never)[] };
}

/**
 * Computes every aggregate from readings in journal order, exactly as the stream does
 * day by day: the latest reading of an hour wins, a day's readings are taken in hour
 * order, a month's days and a year's days in date order.
 */
export function aggregatesFromReadings(readings: Iterable<Reading>): WeatherAggregates {
  const days = new Map<string, Map<number, Reading>>();
  for (const r of readings) {
    const key = stationDayKey(r);
    let hours = days.get(key);
    if (hours === undefined) days.set(key, (hours = new Map()));
    hours.set(r.hour, r);
  }
  const dailyTemp = new Map<string, DailyTemperatureRow>();
  const dailyPrecip = new Map<string, DailyPrecipitationRow>();
  for (const [key, hours] of days) {
    const inHourOrder = [...hours.values()].sort((a, b) => a.hour - b.hour);
    const first = inHourOrder[0] as Reading;
    const day: StationDay = { stationId: first.stationId, year: first.year, month: first.month, day: first.day };
    const stats = dailyTemperature(inHourOrder);
    if (stats !== undefined) dailyTemp.set(key, { ...day, ...stats });
    dailyPrecip.set(key, { ...day, precipitation: dailyPrecipitation(inHourOrder) });
  }
  const byDate = (a: StationDay, b: StationDay): number => a.month - b.month || a.day - b.day;
  const monthly = new Map<string, MonthlyTemperatureRow>();
  for (const [key, rows] of groupBy([...dailyTemp.values()], stationMonthKey)) {
    const first = rows[0] as DailyTemperatureRow;
    const stats = monthlyTemperature(rows.sort(byDate)) as MonthlyTemperature;
    monthly.set(key, { stationId: first.stationId, year: first.year, month: first.month, ...stats });
  }
  const annual = new Map<string, AnnualPrecipitationRow>();
  for (const [key, rows] of groupBy([...dailyPrecip.values()], stationYearKey)) {
    const first = rows[0] as DailyPrecipitationRow;
    annual.set(key, { stationId: first.stationId, year: first.year, precipitation: annualPrecipitation(rows.sort(byDate).map((d) => d.precipitation)) });
  }
  return { dailyTemperature: dailyTemp, dailyPrecipitation: dailyPrecip, monthlyTemperature: monthly, annualPrecipitation: annual };
}

/** What differs between the expected aggregates and the actual ones (exact comparison of every field). */
export function compareAggregates(expected: WeatherAggregates, actual: WeatherAggregates): AggregateCorrection {
  const upserts: Record<string, unknown[]> = {};
  const deletes: Record<string, unknown[]> = {};
  for (const table of AGGREGATE_TABLES) {
    const want = expected[table] as ReadonlyMap<string, object>;
    const have = actual[table] as ReadonlyMap<string, object>;
    upserts[table] = [...want].filter(([key, row]) => !sameRow(row, have.get(key))).map(([, row]) => row);
    deletes[table] = [...have].filter(([key]) => !want.has(key)).map(([, row]) => row);
  }
  return { upserts, deletes } as unknown as AggregateCorrection;
}

/** Rows a correction changes, per table. */
export function correctionCounts(correction: AggregateCorrection): Record<AggregateTable, number> {
  const counts = {} as Record<AggregateTable, number>;
  for (const table of AGGREGATE_TABLES) counts[table] = correction.upserts[table].length + correction.deletes[table].length;
  return counts;
}

function sameRow(a: object, b: object | undefined): boolean {
  if (b === undefined) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => x[k] === y[k]);
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}
