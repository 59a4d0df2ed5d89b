// The aggregate math, shared by the stream (the projection) and the correcting batch, so
// both compute each figure with the same operations in the same order: given the same
// readings they agree to the last bit, and any difference is a real one.
import { type Reading, pad } from './reading.js';

/** One station's temperature statistics for one day, over the hours that have a temperature. */
export interface TemperatureStats {
  /** °C. */
  readonly high: number;
  readonly low: number;
  readonly mean: number;
  /** Population variance (divided by n, as KillrWeather's Spark `StatCounter.variance`), °C². */
  readonly variance: number;
  /** Population standard deviation, √variance. */
  readonly stdev: number;
  /** Hours with a temperature. */
  readonly hours: number;
}

/** One day of one station: the key of the daily tables. */
export interface StationDay {
  readonly stationId: string;
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** One month of one station: the key of the monthly table. */
export interface StationMonth {
  readonly stationId: string;
  readonly year: number;
  readonly month: number;
}

/** One year of one station: the key of the annual precipitation table. */
export interface StationYear {
  readonly stationId: string;
  readonly year: number;
}

/** A month's high and low, from its daily rows. */
export interface MonthlyTemperature {
  readonly high: number;
  readonly low: number;
}

/**
 * High, low, mean, population variance and standard deviation of `temperatures`
 * (one day's, in hour order); undefined for an empty day. Two passes (mean first, then the
 * squared deviations), which is exact for these magnitudes where the one-pass
 * sum-of-squares formula loses digits.
 */
export function temperatureStats(temperatures: readonly number[]): TemperatureStats | undefined {
  const n = temperatures.length;
  if (n === 0) return undefined;
  let high = -Infinity;
  let low = Infinity;
  let sum = 0;
  for (const t of temperatures) {
    if (t > high) high = t;
    if (t < low) low = t;
    sum += t;
  }
  const mean = sum / n;
  let squares = 0;
  for (const t of temperatures) squares += (t - mean) * (t - mean);
  const variance = squares / n;
  return { high, low, mean, variance, stdev: Math.sqrt(variance), hours: n };
}

/** A day's temperature statistics from its readings in hour order (hours without a temperature are skipped). */
export function dailyTemperature(readings: readonly Reading[]): TemperatureStats | undefined {
  const temperatures: number[] = [];
  for (const r of readings) if (r.temperature !== null) temperatures.push(r.temperature);
  return temperatureStats(temperatures);
}

/** Precipitation of a day in mm: the sum of its one-hour values in hour order (a trace counts 0). */
export function dailyPrecipitation(readings: readonly Reading[]): number {
  let sum = 0;
  for (const r of readings) sum += r.oneHourPrecip;
  return sum;
}

/** A month's high and low from its days' statistics (in day order); undefined when no day has a temperature. */
export function monthlyTemperature(days: readonly Pick<TemperatureStats, 'high' | 'low'>[]): MonthlyTemperature | undefined {
  if (days.length === 0) return undefined;
  let high = -Infinity;
  let low = Infinity;
  for (const d of days) {
    if (d.high > high) high = d.high;
    if (d.low < low) low = d.low;
  }
  return { high, low };
}

/** A year's precipitation: the sum of its daily precipitation in date order. */
export function annualPrecipitation(days: readonly number[]): number {
  let sum = 0;
  for (const d of days) sum += d;
  return sum;
}

/** `station|YYYY-MM-DD`, a map key. */
export function stationDayKey(d: StationDay): string {
  return `${d.stationId}|${d.year}-${pad(d.month)}-${pad(d.day)}`;
}

/** `station|YYYY-MM`, a map key. */
export function stationMonthKey(m: StationMonth): string {
  return `${m.stationId}|${m.year}-${pad(m.month)}`;
}

/** `station|YYYY`, a map key. */
export function stationYearKey(y: StationYear): string {
  return `${y.stationId}|${y.year}`;
}
