/**
 * What the Spark suites share: the persistent actors that write the examples' event shapes
 * through Troupe's real journals, the NOAA feed, and the figures the tests compute
 * themselves to compare with Spark's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ActorRef } from '@troupe/core';
import { PersistentActor } from '@troupe/persistence';
import { REPO_ROOT } from './spark-runner.js';

/** One hourly reading: the shape of examples/weather's `Reading`. */
export interface Reading {
  readonly stationId: string;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly temperature: number | null;
  readonly dewPoint: number | null;
  readonly pressure: number | null;
  readonly windDirection: number;
  readonly windSpeed: number;
  readonly skyCondition: number;
  readonly oneHourPrecip: number;
  readonly sixHourPrecip: number;
}

/** examples/weather's `WeatherStationEvent`. */
export type WeatherStationEvent = { readonly type: 'reading-recorded'; readonly reading: Reading };

/** A station's command: store these readings (one atomic write), answer how many. */
export type RecordReadings = { readonly readings: readonly Reading[]; readonly replyTo: ActorRef<number> };

/** Persists every reading it is given as examples/weather's event, tagged `weather`, in the journal `journalId`. */
export class Station extends PersistentActor<RecordReadings, WeatherStationEvent> {
  readonly persistenceId: string;
  constructor(
    stationId: string,
    override readonly journalId: string,
  ) {
    super();
    this.persistenceId = `weather-station-${stationId}`;
  }
  applyEvent(): void {}
  override tagsFor(): readonly string[] {
    return ['weather'];
  }
  async receiveCommand(command: RecordReadings): Promise<void> {
    await this.persistAll(command.readings.map((reading) => ({ type: 'reading-recorded' as const, reading })));
    command.replyTo.tell(command.readings.length);
  }
}

/** examples/bank's `AccountEvent`. */
export type AccountEvent = { readonly type: 'deposited'; readonly amount: number } | { readonly type: 'withdrawn'; readonly amount: number };

/** An account's command: store this event, answer the balance after it. */
export type AccountCommand = { readonly event: AccountEvent; readonly replyTo: ActorRef<number> };

/** examples/bank's account, reduced to storing the events it is told (the test decides them), in the journal `journalId`. */
export class Account extends PersistentActor<AccountCommand, AccountEvent> {
  private balance = 0;
  constructor(
    readonly persistenceId: string,
    override readonly journalId: string,
  ) {
    super();
  }
  applyEvent(event: AccountEvent): void {
    this.balance += event.type === 'deposited' ? event.amount : -event.amount;
  }
  override tagsFor(): readonly string[] {
    return ['bank'];
  }
  async receiveCommand(command: AccountCommand): Promise<void> {
    await this.persist(command.event);
    command.replyTo.tell(this.balance);
  }
}

/**
 * The first `days` days of a station's NOAA feed in examples/weather/data, parsed as the
 * example does: a dew point of 999.9 marks an hour without observation (temperature null),
 * a pressure of 0.0 is absent, a precipitation of -0.1 is a trace (0).
 */
export function noaaReadings(file: 'ny-2008.csv.gz' | 'sf-2008.csv.gz', days: number): Reading[] {
  const text = gunzipSync(readFileSync(join(REPO_ROOT, 'examples/weather/data', file))).toString('utf8');
  const readings: Reading[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [wsid, year, month, day, hour, temperature, dewPoint, pressure, windDirection, windSpeed, sky, oneHour, sixHour] = line.split(',').map((f) => f.trim()) as string[];
    if (Number(day) > days || Number(month) !== 1) continue;
    const missing = Number(dewPoint) === 999.9;
    const precip = (text: string | undefined): number => (Number(text) === -0.1 ? 0 : Number(text));
    readings.push({
      stationId: wsid!,
      year: Number(year),
      month: Number(month),
      day: Number(day),
      hour: Number(hour),
      temperature: missing ? null : Number(temperature),
      dewPoint: missing ? null : Number(dewPoint),
      pressure: Number(pressure) === 0 ? null : Number(pressure),
      windDirection: Number(windDirection),
      windSpeed: Number(windSpeed),
      skyCondition: Number(sky),
      oneHourPrecip: precip(oneHour),
      sixHourPrecip: precip(sixHour),
    });
  }
  return readings;
}

/** One station-day as the Spark job reports it. */
export interface DailyWeatherRow {
  readonly station_id: string;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly high: number | null;
  readonly low: number | null;
  readonly mean: number | null;
  readonly hours: number;
  readonly precipitation: number;
}

/**
 * The daily figures computed here, with examples/weather's operations (daily-aggregates.ts):
 * the last reading sent for an hour wins, sums are folded in hour order, mean = sum / hours.
 */
export function expectedDailyWeather(readingsInWriteOrder: readonly Reading[]): DailyWeatherRow[] {
  const days = new Map<string, Map<number, Reading>>();
  for (const r of readingsInWriteOrder) {
    const key = `${r.stationId}|${r.year}|${r.month}|${r.day}`;
    if (!days.has(key)) days.set(key, new Map());
    days.get(key)!.set(r.hour, r);
  }
  const rows: DailyWeatherRow[] = [];
  for (const hours of days.values()) {
    const inHourOrder = [...hours.values()].sort((a, b) => a.hour - b.hour);
    const temperatures = inHourOrder.flatMap((r) => (r.temperature === null ? [] : [r.temperature]));
    let sum = 0;
    for (const t of temperatures) sum += t;
    let precipitation = 0;
    for (const r of inHourOrder) precipitation += r.oneHourPrecip;
    const first = inHourOrder[0]!;
    const n = temperatures.length;
    rows.push({
      station_id: first.stationId,
      year: first.year,
      month: first.month,
      day: first.day,
      high: n === 0 ? null : Math.max(...temperatures),
      low: n === 0 ? null : Math.min(...temperatures),
      mean: n === 0 ? null : sum / n,
      hours: n,
      precipitation,
    });
  }
  return sortRows(rows, (r) => `${r.station_id}|${String(r.month).padStart(2, '0')}|${String(r.day).padStart(2, '0')}`);
}

/** `rows` sorted by `key`, a copy. */
export function sortRows<T>(rows: readonly T[], key: (row: T) => string): T[] {
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** A deterministic stream of numbers in [0, 1) (mulberry32), so every run writes the same events. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The events a test sends to one account: deposits and withdrawals that never overdraw. */
export function accountEvents(random: () => number, count: number): AccountEvent[] {
  const events: AccountEvent[] = [];
  let balance = 0;
  for (let i = 0; i < count; i++) {
    const amount = 1 + Math.floor(random() * 10_000);
    if (balance >= amount && random() < 0.4) {
      events.push({ type: 'withdrawn', amount });
      balance -= amount;
    } else {
      events.push({ type: 'deposited', amount });
      balance += amount;
    }
  }
  return events;
}

/** Deposits minus withdrawals. */
export function balanceOf(events: readonly AccountEvent[]): number {
  return events.reduce((sum, e) => sum + (e.type === 'deposited' ? e.amount : -e.amount), 0);
}
