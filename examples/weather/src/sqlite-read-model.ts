import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as Sqlite from 'node:sqlite';
import {
  type StationDay,
  type StationMonth,
  type StationYear,
  annualPrecipitation,
  dailyPrecipitation,
  dailyTemperature,
  monthlyTemperature,
  stationDayKey,
  stationMonthKey,
  stationYearKey,
} from './daily-aggregates.js';
import type { Reading } from './reading.js';
import type { DayAggregates, ReadModelQueries, ReadModelWriter, WeatherStationInfo } from './read-model.js';
import type { AggregateCorrection, AnnualPrecipitationRow, DailyPrecipitationRow, DailyTemperatureRow, MonthlyTemperatureRow, WeatherAggregates } from './weather-aggregates.js';

type DatabaseSync = Sqlite.DatabaseSync;
type StatementSync = Sqlite.StatementSync;

/** KillrWeather's tables, in SQLite. Keys are the Cassandra primary keys; no counters. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS weather_station (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, country_code TEXT NOT NULL, state_code TEXT NOT NULL,
  call_sign TEXT NOT NULL, lat REAL NOT NULL, long REAL NOT NULL, elevation REAL NOT NULL);
CREATE TABLE IF NOT EXISTS raw_weather_data (
  wsid TEXT NOT NULL, year INTEGER NOT NULL, month INTEGER NOT NULL, day INTEGER NOT NULL, hour INTEGER NOT NULL,
  temperature REAL, dewpoint REAL, pressure REAL, wind_direction INTEGER NOT NULL, wind_speed REAL NOT NULL,
  sky_condition INTEGER NOT NULL, one_hour_precip REAL NOT NULL, six_hour_precip REAL NOT NULL,
  PRIMARY KEY (wsid, year, month, day, hour)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS daily_aggregate_temperature (
  wsid TEXT NOT NULL, year INTEGER NOT NULL, month INTEGER NOT NULL, day INTEGER NOT NULL,
  high REAL NOT NULL, low REAL NOT NULL, mean REAL NOT NULL, variance REAL NOT NULL, stdev REAL NOT NULL, hours INTEGER NOT NULL,
  PRIMARY KEY (wsid, year, month, day)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS daily_aggregate_precip (
  wsid TEXT NOT NULL, year INTEGER NOT NULL, month INTEGER NOT NULL, day INTEGER NOT NULL, precipitation REAL NOT NULL,
  PRIMARY KEY (wsid, year, month, day)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS monthly_aggregate_temperature (
  wsid TEXT NOT NULL, year INTEGER NOT NULL, month INTEGER NOT NULL, high REAL NOT NULL, low REAL NOT NULL,
  PRIMARY KEY (wsid, year, month)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS year_cumulative_precip (
  wsid TEXT NOT NULL, year INTEGER NOT NULL, precipitation REAL NOT NULL,
  PRIMARY KEY (wsid, year)) WITHOUT ROWID;
`;

const DAY_COLUMNS = 'wsid AS stationId, year, month, day';

/**
 * The read model in SQLite (the embedded default). `on(db)` works on a connection someone
 * else owns — the exactly-once projection's offset store, so the rows and the offset
 * commit in one transaction; `open(path)` opens a connection of its own for queries.
 * The methods are synchronous and run in the caller's transaction, if any.
 */
export class SqliteReadModel implements ReadModelWriter, ReadModelQueries {
  private readonly statements: Record<string, StatementSync> = {};

  private constructor(
    /** The connection the rows are read and written through. */
    readonly database: DatabaseSync,
    private readonly ownsDatabase: boolean,
  ) {
    database.exec(SCHEMA);
  }

  /** Uses `database` (creating the tables if missing); `close` leaves it open. */
  static on(database: DatabaseSync): SqliteReadModel {
    return new SqliteReadModel(database, false);
  }

  /** Opens (creating) the database file at `path` in WAL mode, for queries beside a projection in another connection or process. */
  static open(path: string, busyTimeoutMs = 10_000): SqliteReadModel {
    mkdirSync(dirname(path), { recursive: true });
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof Sqlite;
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    return new SqliteReadModel(db, true);
  }

  applyReadings(readings: readonly Reading[]): void {
    const upsertRaw = this.statement(
      `INSERT INTO raw_weather_data VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (wsid, year, month, day, hour) DO UPDATE SET temperature = excluded.temperature, dewpoint = excluded.dewpoint,
         pressure = excluded.pressure, wind_direction = excluded.wind_direction, wind_speed = excluded.wind_speed,
         sky_condition = excluded.sky_condition, one_hour_precip = excluded.one_hour_precip, six_hour_precip = excluded.six_hour_precip`,
    );
    const days = new Map<string, StationDay>();
    const months = new Map<string, StationMonth>();
    const years = new Map<string, StationYear>();
    for (const r of readings) {
      upsertRaw.run(r.stationId, r.year, r.month, r.day, r.hour, r.temperature, r.dewPoint, r.pressure, r.windDirection, r.windSpeed, r.skyCondition, r.oneHourPrecip, r.sixHourPrecip);
      days.set(stationDayKey(r), r);
      months.set(stationMonthKey(r), r);
      years.set(stationYearKey(r), r);
    }
    for (const day of days.values()) this.recomputeDay(day);
    for (const month of months.values()) this.recomputeMonth(month);
    for (const year of years.values()) this.recomputeYear(year);
  }

  readAggregates(): WeatherAggregates {
    const keyed = <R extends object>(rows: R[], keyOf: (row: R) => string): Map<string, R> => new Map(rows.map((row) => [keyOf(row), { ...row }]));
    return {
      dailyTemperature: keyed(this.all<DailyTemperatureRow>(`SELECT ${DAY_COLUMNS}, high, low, mean, variance, stdev, hours FROM daily_aggregate_temperature`), stationDayKey),
      dailyPrecipitation: keyed(this.all<DailyPrecipitationRow>(`SELECT ${DAY_COLUMNS}, precipitation FROM daily_aggregate_precip`), stationDayKey),
      monthlyTemperature: keyed(this.all<MonthlyTemperatureRow>('SELECT wsid AS stationId, year, month, high, low FROM monthly_aggregate_temperature'), stationMonthKey),
      annualPrecipitation: keyed(this.all<AnnualPrecipitationRow>('SELECT wsid AS stationId, year, precipitation FROM year_cumulative_precip'), stationYearKey),
    };
  }

  correct(correction: AggregateCorrection): void {
    const { upserts, deletes } = correction;
    for (const row of upserts.dailyTemperature) this.upsertDailyTemperature(row);
    for (const row of upserts.dailyPrecipitation) this.upsertDailyPrecipitation(row);
    for (const row of upserts.monthlyTemperature) this.upsertMonthlyTemperature(row);
    for (const row of upserts.annualPrecipitation) this.upsertAnnualPrecipitation(row);
    for (const r of deletes.dailyTemperature) this.statement('DELETE FROM daily_aggregate_temperature WHERE wsid = ? AND year = ? AND month = ? AND day = ?').run(r.stationId, r.year, r.month, r.day);
    for (const r of deletes.dailyPrecipitation) this.statement('DELETE FROM daily_aggregate_precip WHERE wsid = ? AND year = ? AND month = ? AND day = ?').run(r.stationId, r.year, r.month, r.day);
    for (const r of deletes.monthlyTemperature) this.statement('DELETE FROM monthly_aggregate_temperature WHERE wsid = ? AND year = ? AND month = ?').run(r.stationId, r.year, r.month);
    for (const r of deletes.annualPrecipitation) this.statement('DELETE FROM year_cumulative_precip WHERE wsid = ? AND year = ?').run(r.stationId, r.year);
  }

  currentWeather(stationId: string): Reading | undefined {
    return this.statement(
      `SELECT wsid AS stationId, year, month, day, hour, temperature, dewpoint AS dewPoint, pressure, wind_direction AS windDirection,
         wind_speed AS windSpeed, sky_condition AS skyCondition, one_hour_precip AS oneHourPrecip, six_hour_precip AS sixHourPrecip
       FROM raw_weather_data WHERE wsid = ? ORDER BY year DESC, month DESC, day DESC, hour DESC LIMIT 1`,
    ).get(stationId) as Reading | undefined;
  }

  day(day: StationDay): DayAggregates {
    const key = [day.stationId, day.year, day.month, day.day] as const;
    return {
      temperature: this.one<DailyTemperatureRow>(
        `SELECT ${DAY_COLUMNS}, high, low, mean, variance, stdev, hours FROM daily_aggregate_temperature WHERE wsid = ? AND year = ? AND month = ? AND day = ?`,
        key,
      ),
      precipitation: this.one<DailyPrecipitationRow>(`SELECT ${DAY_COLUMNS}, precipitation FROM daily_aggregate_precip WHERE wsid = ? AND year = ? AND month = ? AND day = ?`, key),
    };
  }

  month(month: StationMonth): MonthlyTemperatureRow | undefined {
    return this.one('SELECT wsid AS stationId, year, month, high, low FROM monthly_aggregate_temperature WHERE wsid = ? AND year = ? AND month = ?', [month.stationId, month.year, month.month]);
  }

  annualPrecipitation(year: StationYear): AnnualPrecipitationRow | undefined {
    return this.one('SELECT wsid AS stationId, year, precipitation FROM year_cumulative_precip WHERE wsid = ? AND year = ?', [year.stationId, year.year]);
  }

  topPrecipitationDays(year: StationYear, k: number): DailyPrecipitationRow[] {
    return this.statement(`SELECT ${DAY_COLUMNS}, precipitation FROM daily_aggregate_precip WHERE wsid = ? AND year = ? ORDER BY precipitation DESC, month, day LIMIT ?`)
      .all(year.stationId, year.year, k)
      .map((row) => ({ ...row })) as unknown as DailyPrecipitationRow[];
  }

  station(stationId: string): WeatherStationInfo | undefined {
    return this.one(`SELECT id, name, country_code AS countryCode, state_code AS stateCode, call_sign AS callSign, lat, long, elevation FROM weather_station WHERE id = ?`, [stationId]);
  }

  /** Upserts reference data about stations. */
  saveStations(stations: readonly WeatherStationInfo[]): void {
    const upsert = this.statement(
      `INSERT INTO weather_station VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, country_code = excluded.country_code,
         state_code = excluded.state_code, call_sign = excluded.call_sign, lat = excluded.lat, long = excluded.long, elevation = excluded.elevation`,
    );
    for (const s of stations) upsert.run(s.id, s.name, s.countryCode, s.stateCode, s.callSign, s.lat, s.long, s.elevation);
  }

  /** The stored offset of a projection, read in this connection (and so in its transaction). */
  storedOffset(projectionName: string, projectionKey: string): number {
    const row = this.database.prepare('SELECT current_offset AS o FROM projection_offset WHERE projection_name = ? AND projection_key = ?').get(projectionName, projectionKey) as
      { o: number } | undefined;
    return row?.o ?? 0;
  }

  /** Closes the connection if `open` created it. */
  close(): void {
    if (this.ownsDatabase && this.database.isOpen) this.database.close();
  }

  private recomputeDay(day: StationDay): void {
    const key = [day.stationId, day.year, day.month, day.day] as const;
    const readings = this.statement(`SELECT temperature, one_hour_precip AS oneHourPrecip FROM raw_weather_data WHERE wsid = ? AND year = ? AND month = ? AND day = ? ORDER BY hour`).all(
      ...key,
    ) as unknown as Reading[];
    const stats = dailyTemperature(readings);
    if (stats === undefined) this.statement('DELETE FROM daily_aggregate_temperature WHERE wsid = ? AND year = ? AND month = ? AND day = ?').run(...key);
    else this.upsertDailyTemperature({ ...day, ...stats });
    this.upsertDailyPrecipitation({ ...day, precipitation: dailyPrecipitation(readings) });
  }

  private recomputeMonth(month: StationMonth): void {
    const key = [month.stationId, month.year, month.month] as const;
    const days = this.statement('SELECT high, low FROM daily_aggregate_temperature WHERE wsid = ? AND year = ? AND month = ? ORDER BY day').all(...key) as { high: number; low: number }[];
    const stats = monthlyTemperature(days);
    if (stats === undefined) this.statement('DELETE FROM monthly_aggregate_temperature WHERE wsid = ? AND year = ? AND month = ?').run(...key);
    else this.upsertMonthlyTemperature({ ...month, ...stats });
  }

  private recomputeYear(year: StationYear): void {
    const days = this.statement('SELECT precipitation FROM daily_aggregate_precip WHERE wsid = ? AND year = ? ORDER BY month, day').all(year.stationId, year.year) as { precipitation: number }[];
    this.upsertAnnualPrecipitation({ ...year, precipitation: annualPrecipitation(days.map((d) => d.precipitation)) });
  }

  private upsertDailyTemperature(r: DailyTemperatureRow): void {
    this.statement(
      `INSERT INTO daily_aggregate_temperature VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (wsid, year, month, day) DO UPDATE SET
         high = excluded.high, low = excluded.low, mean = excluded.mean, variance = excluded.variance, stdev = excluded.stdev, hours = excluded.hours`,
    ).run(r.stationId, r.year, r.month, r.day, r.high, r.low, r.mean, r.variance, r.stdev, r.hours);
  }

  private upsertDailyPrecipitation(r: DailyPrecipitationRow): void {
    this.statement('INSERT INTO daily_aggregate_precip VALUES (?, ?, ?, ?, ?) ON CONFLICT (wsid, year, month, day) DO UPDATE SET precipitation = excluded.precipitation').run(
      r.stationId,
      r.year,
      r.month,
      r.day,
      r.precipitation,
    );
  }

  private upsertMonthlyTemperature(r: MonthlyTemperatureRow): void {
    this.statement('INSERT INTO monthly_aggregate_temperature VALUES (?, ?, ?, ?, ?) ON CONFLICT (wsid, year, month) DO UPDATE SET high = excluded.high, low = excluded.low').run(
      r.stationId,
      r.year,
      r.month,
      r.high,
      r.low,
    );
  }

  private upsertAnnualPrecipitation(r: AnnualPrecipitationRow): void {
    this.statement('INSERT INTO year_cumulative_precip VALUES (?, ?, ?) ON CONFLICT (wsid, year) DO UPDATE SET precipitation = excluded.precipitation').run(r.stationId, r.year, r.precipitation);
  }

  private one<R>(sql: string, params: readonly (string | number)[]): R | undefined {
    const row = this.statement(sql).get(...params);
    return row === undefined ? undefined : ({ ...row } as R);
  }

  private all<R>(sql: string): R[] {
    return this.statement(sql).all() as unknown as R[];
  }

  /** Prepared once per connection. */
  private statement(sql: string): StatementSync {
    let statement = this.statements[sql];
    if (statement === undefined) this.statements[sql] = statement = this.database.prepare(sql);
    return statement;
  }
}
