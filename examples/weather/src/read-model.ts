// The read model behind two small interfaces, so the stream, the batch and the HTTP API
// do not depend on where it lives: `SqliteReadModel` is the embedded default; a Cassandra
// sink (KillrWeather's own tables) implements the same two interfaces.
import type { StationDay, StationMonth, StationYear } from './daily-aggregates.js';
import type { Reading } from './reading.js';
import type { AggregateCorrection, AnnualPrecipitationRow, DailyPrecipitationRow, DailyTemperatureRow, MonthlyTemperatureRow, WeatherAggregates } from './weather-aggregates.js';

/** A row of `weather_station`: reference data about a station. */
export interface WeatherStationInfo {
  readonly id: string;
  readonly name: string;
  readonly countryCode: string;
  readonly stateCode: string;
  readonly callSign: string;
  readonly lat: number;
  readonly long: number;
  /** Metres. */
  readonly elevation: number;
}

/**
 * What the stream and the correcting batch write. Every write is an idempotent upsert
 * keyed by station and hour, day, month or year (no counters): applying the same
 * readings twice leaves the same rows, so a sink that cannot share the projection's
 * transaction (Cassandra) is still exact after a replay.
 */
export interface ReadModelWriter {
  /**
   * Upserts `readings` into `raw_weather_data`, then recomputes, from the stored raw rows,
   * every daily row of the days they touch and the monthly and annual rows of those days.
   */
  applyReadings(readings: readonly Reading[]): void | Promise<void>;
  /** Every aggregate row, for the correcting batch. */
  readAggregates(): WeatherAggregates | Promise<WeatherAggregates>;
  /** Writes and removes the rows of a correction. */
  correct(correction: AggregateCorrection): void | Promise<void>;
}

/** What the HTTP API asks. Answers come from the read model only, never from the entities. */
export interface ReadModelQueries {
  /** The station's latest reading (by its hour), if any. */
  currentWeather(stationId: string): Reading | undefined | Promise<Reading | undefined>;
  /** A day's temperature statistics and precipitation (either may be missing). */
  day(day: StationDay): DayAggregates | Promise<DayAggregates>;
  /** A month's high and low. */
  month(month: StationMonth): MonthlyTemperatureRow | undefined | Promise<MonthlyTemperatureRow | undefined>;
  /** A year's cumulative precipitation. */
  annualPrecipitation(year: StationYear): AnnualPrecipitationRow | undefined | Promise<AnnualPrecipitationRow | undefined>;
  /** The `k` wettest days of a year, wettest first (ties: earlier first). */
  topPrecipitationDays(year: StationYear, k: number): readonly DailyPrecipitationRow[] | Promise<readonly DailyPrecipitationRow[]>;
  /** Reference data of a station. */
  station(stationId: string): WeatherStationInfo | undefined | Promise<WeatherStationInfo | undefined>;
}

/** A day's aggregates as the queries return them. */
export interface DayAggregates {
  readonly temperature: DailyTemperatureRow | undefined;
  readonly precipitation: DailyPrecipitationRow | undefined;
}
