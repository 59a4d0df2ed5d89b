import cassandra from 'cassandra-driver';
import { CassandraUpsertSink } from '@troupe/projection-cassandra';
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
import { type Reading, readingHour } from './reading.js';
import type { DayAggregates, ReadModelQueries, ReadModelWriter, WeatherStationInfo } from './read-model.js';
import type { AggregateCorrection, AnnualPrecipitationRow, DailyPrecipitationRow, DailyTemperatureRow, MonthlyTemperatureRow, WeatherAggregates } from './weather-aggregates.js';

/**
 * KillrWeather's tables (`data/create-timeseries.cql`), keyed as there, with the counters of
 * `daily_aggregate_precip` and `year_cumulative_precip` replaced by plain doubles written by
 * idempotent upserts, and an `hours` column on the daily temperature table.
 */
const TABLES = [
  `CREATE TABLE IF NOT EXISTS %k.weather_station (id text PRIMARY KEY, name text, country_code text, state_code text, call_sign text, lat double, long double, elevation double)`,
  `CREATE TABLE IF NOT EXISTS %k.raw_weather_data (wsid text, year int, month int, day int, hour int, temperature double, dewpoint double, pressure double,
     wind_direction int, wind_speed double, sky_condition int, one_hour_precip double, six_hour_precip double,
     PRIMARY KEY ((wsid), year, month, day, hour)) WITH CLUSTERING ORDER BY (year DESC, month DESC, day DESC, hour DESC)`,
  `CREATE TABLE IF NOT EXISTS %k.daily_aggregate_temperature (wsid text, year int, month int, day int, high double, low double, mean double, variance double, stdev double, hours int,
     PRIMARY KEY ((wsid), year, month, day)) WITH CLUSTERING ORDER BY (year DESC, month DESC, day DESC)`,
  `CREATE TABLE IF NOT EXISTS %k.daily_aggregate_precip (wsid text, year int, month int, day int, precipitation double,
     PRIMARY KEY ((wsid), year, month, day)) WITH CLUSTERING ORDER BY (year DESC, month DESC, day DESC)`,
  `CREATE TABLE IF NOT EXISTS %k.monthly_aggregate_temperature (wsid text, year int, month int, high double, low double,
     PRIMARY KEY ((wsid), year, month)) WITH CLUSTERING ORDER BY (year DESC, month DESC)`,
  `CREATE TABLE IF NOT EXISTS %k.year_cumulative_precip (wsid text, year int, precipitation double, PRIMARY KEY ((wsid), year)) WITH CLUSTERING ORDER BY (year DESC)`,
];

const RAW_COLUMNS = ['wsid', 'year', 'month', 'day', 'hour', 'temperature', 'dewpoint', 'pressure', 'wind_direction', 'wind_speed', 'sky_condition', 'one_hour_precip', 'six_hour_precip'] as const;

/** Reads run this many at once when a batch recomputes its days. */
const READ_CONCURRENCY = 32;

type Row = cassandra.types.Row;

/** The sinks of the read model's tables. */
interface Sinks {
  readonly raw: CassandraUpsertSink;
  readonly dailyTemperature: CassandraUpsertSink;
  readonly dailyPrecipitation: CassandraUpsertSink;
  readonly monthlyTemperature: CassandraUpsertSink;
  readonly annualPrecipitation: CassandraUpsertSink;
  readonly stations: CassandraUpsertSink;
}

/**
 * The read model in Cassandra, for a projection that cannot share a transaction with its
 * offset. `applyReadings` is idempotent: it upserts the readings keyed by station and hour,
 * then recomputes each touched day from the stored raw rows, each touched month from its
 * daily rows and each touched year from its daily rows, with the same math and the same
 * order as `SqliteReadModel` and the correcting batch. Applying a batch again (a replay
 * after a crash) writes the same values.
 */
export class CassandraReadModel implements ReadModelWriter, ReadModelQueries {
  private readonly read = { prepare: true, consistency: cassandra.types.consistencies.quorum, fetchSize: 5000 } as const;

  private constructor(
    /** The driver client; owned by the caller. */
    readonly client: cassandra.Client,
    /** The keyspace of the tables. */
    readonly keyspace: string,
    private readonly sinks: Sinks,
  ) {}

  /** Creates the keyspace (SimpleStrategy, replication 1, unless it exists) and the tables if missing, and returns the read model. */
  static async open(client: cassandra.Client, keyspace: string): Promise<CassandraReadModel> {
    if (!/^[a-z][a-z0-9_]{0,47}$/.test(keyspace)) throw new TypeError(`CassandraReadModel: keyspace must be a lower-case CQL name, got ${JSON.stringify(keyspace)}`);
    await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    for (const cql of TABLES) await client.execute(cql.replace('%k', keyspace));
    const sink = (table: string, columns: readonly string[]): Promise<CassandraUpsertSink> => CassandraUpsertSink.create({ client, keyspace, table, columns });
    const sinks: Sinks = {
      raw: await sink('raw_weather_data', RAW_COLUMNS),
      dailyTemperature: await sink('daily_aggregate_temperature', ['wsid', 'year', 'month', 'day', 'high', 'low', 'mean', 'variance', 'stdev', 'hours']),
      dailyPrecipitation: await sink('daily_aggregate_precip', ['wsid', 'year', 'month', 'day', 'precipitation']),
      monthlyTemperature: await sink('monthly_aggregate_temperature', ['wsid', 'year', 'month', 'high', 'low']),
      annualPrecipitation: await sink('year_cumulative_precip', ['wsid', 'year', 'precipitation']),
      stations: await sink('weather_station', ['id', 'name', 'country_code', 'state_code', 'call_sign', 'lat', 'long', 'elevation']),
    };
    return new CassandraReadModel(client, keyspace, sinks);
  }

  async applyReadings(readings: readonly Reading[]): Promise<void> {
    // The newest reading of an hour wins; the sink writes different keys concurrently, so give each hour once.
    const latest = new Map<string, Reading>();
    for (const r of readings) latest.set(readingHour(r), r);
    await this.sinks.raw.upsert(
      [...latest.values()].map((r) => [
        r.stationId,
        r.year,
        r.month,
        r.day,
        r.hour,
        r.temperature,
        r.dewPoint,
        r.pressure,
        r.windDirection,
        r.windSpeed,
        r.skyCondition,
        r.oneHourPrecip,
        r.sixHourPrecip,
      ]),
    );
    const days = new Map<string, StationDay>();
    const months = new Map<string, StationMonth>();
    const years = new Map<string, StationYear>();
    for (const r of latest.values()) {
      days.set(stationDayKey(r), r);
      months.set(stationMonthKey(r), r);
      years.set(stationYearKey(r), r);
    }
    // Days first (months and years are computed from their rows), then months and years.
    const temperature: DailyTemperatureRow[] = [];
    const emptyDays: StationDay[] = [];
    const precipitation: DailyPrecipitationRow[] = [];
    await forEachLimited([...days.values()], async (day) => {
      const rows = await this.rows(`SELECT hour, temperature, one_hour_precip FROM ${this.keyspace}.raw_weather_data WHERE wsid = ? AND year = ? AND month = ? AND day = ?`, [
        day.stationId,
        day.year,
        day.month,
        day.day,
      ]);
      const inHourOrder = rows
        .map((row) => ({ hour: row.get('hour') as number, temperature: row.get('temperature') as number | null, oneHourPrecip: row.get('one_hour_precip') as number }))
        .sort((a, b) => a.hour - b.hour) as unknown as Reading[];
      const key = { stationId: day.stationId, year: day.year, month: day.month, day: day.day };
      const stats = dailyTemperature(inHourOrder);
      if (stats === undefined) emptyDays.push(key);
      else temperature.push({ ...key, ...stats });
      precipitation.push({ ...key, precipitation: dailyPrecipitation(inHourOrder) });
    });
    await Promise.all([
      this.sinks.dailyTemperature.upsert(temperature.map(dailyTemperatureValues)),
      this.sinks.dailyTemperature.delete(emptyDays.map((d) => [d.stationId, d.year, d.month, d.day])),
      this.sinks.dailyPrecipitation.upsert(precipitation.map((r) => [r.stationId, r.year, r.month, r.day, r.precipitation])),
    ]);
    const monthly: MonthlyTemperatureRow[] = [];
    const emptyMonths: StationMonth[] = [];
    const annual: AnnualPrecipitationRow[] = [];
    await Promise.all([
      forEachLimited([...months.values()], async (month) => {
        const rows = await this.rows(`SELECT day, high, low FROM ${this.keyspace}.daily_aggregate_temperature WHERE wsid = ? AND year = ? AND month = ?`, [month.stationId, month.year, month.month]);
        const inDayOrder = rows.map((row) => ({ day: row.get('day') as number, high: row.get('high') as number, low: row.get('low') as number })).sort((a, b) => a.day - b.day);
        const key = { stationId: month.stationId, year: month.year, month: month.month };
        const stats = monthlyTemperature(inDayOrder);
        if (stats === undefined) emptyMonths.push(key);
        else monthly.push({ ...key, ...stats });
      }),
      forEachLimited([...years.values()], async (year) => {
        const rows = await this.rows(`SELECT month, day, precipitation FROM ${this.keyspace}.daily_aggregate_precip WHERE wsid = ? AND year = ?`, [year.stationId, year.year]);
        const inDateOrder = rows
          .map((row) => ({ month: row.get('month') as number, day: row.get('day') as number, precipitation: row.get('precipitation') as number }))
          .sort((a, b) => a.month - b.month || a.day - b.day);
        annual.push({ stationId: year.stationId, year: year.year, precipitation: annualPrecipitation(inDateOrder.map((d) => d.precipitation)) });
      }),
    ]);
    await Promise.all([
      this.sinks.monthlyTemperature.upsert(monthly.map((r) => [r.stationId, r.year, r.month, r.high, r.low])),
      this.sinks.monthlyTemperature.delete(emptyMonths.map((m) => [m.stationId, m.year, m.month])),
      this.sinks.annualPrecipitation.upsert(annual.map((r) => [r.stationId, r.year, r.precipitation])),
    ]);
  }

  async readAggregates(): Promise<WeatherAggregates> {
    const all = async <R extends object>(cql: string, toRow: (row: Row) => R, keyOf: (row: R) => string): Promise<Map<string, R>> => {
      const map = new Map<string, R>();
      for await (const row of this.client.stream(cql, [], this.read) as unknown as AsyncIterable<Row>) {
        const value = toRow(row);
        map.set(keyOf(value), value);
      }
      return map;
    };
    const ks = this.keyspace;
    return {
      dailyTemperature: await all(`SELECT wsid, year, month, day, high, low, mean, variance, stdev, hours FROM ${ks}.daily_aggregate_temperature`, dailyTemperatureRow, stationDayKey),
      dailyPrecipitation: await all(`SELECT wsid, year, month, day, precipitation FROM ${ks}.daily_aggregate_precip`, dailyPrecipitationRow, stationDayKey),
      monthlyTemperature: await all(`SELECT wsid, year, month, high, low FROM ${ks}.monthly_aggregate_temperature`, monthlyTemperatureRow, stationMonthKey),
      annualPrecipitation: await all(`SELECT wsid, year, precipitation FROM ${ks}.year_cumulative_precip`, annualPrecipitationRow, stationYearKey),
    };
  }

  async correct(correction: AggregateCorrection): Promise<void> {
    const { upserts, deletes } = correction;
    await Promise.all([
      this.sinks.dailyTemperature.upsert(upserts.dailyTemperature.map(dailyTemperatureValues)),
      this.sinks.dailyPrecipitation.upsert(upserts.dailyPrecipitation.map((r) => [r.stationId, r.year, r.month, r.day, r.precipitation])),
      this.sinks.monthlyTemperature.upsert(upserts.monthlyTemperature.map((r) => [r.stationId, r.year, r.month, r.high, r.low])),
      this.sinks.annualPrecipitation.upsert(upserts.annualPrecipitation.map((r) => [r.stationId, r.year, r.precipitation])),
      this.sinks.dailyTemperature.delete(deletes.dailyTemperature.map((r) => [r.stationId, r.year, r.month, r.day])),
      this.sinks.dailyPrecipitation.delete(deletes.dailyPrecipitation.map((r) => [r.stationId, r.year, r.month, r.day])),
      this.sinks.monthlyTemperature.delete(deletes.monthlyTemperature.map((r) => [r.stationId, r.year, r.month])),
      this.sinks.annualPrecipitation.delete(deletes.annualPrecipitation.map((r) => [r.stationId, r.year])),
    ]);
  }

  async currentWeather(stationId: string): Promise<Reading | undefined> {
    // The clustering order is newest first, as in KillrWeather.
    const [row] = await this.rows(`SELECT ${RAW_COLUMNS.join(', ')} FROM ${this.keyspace}.raw_weather_data WHERE wsid = ? LIMIT 1`, [stationId]);
    if (row === undefined) return undefined;
    return {
      stationId: row.get('wsid') as string,
      year: row.get('year') as number,
      month: row.get('month') as number,
      day: row.get('day') as number,
      hour: row.get('hour') as number,
      temperature: row.get('temperature') as number | null,
      dewPoint: row.get('dewpoint') as number | null,
      pressure: row.get('pressure') as number | null,
      windDirection: row.get('wind_direction') as number,
      windSpeed: row.get('wind_speed') as number,
      skyCondition: row.get('sky_condition') as number,
      oneHourPrecip: row.get('one_hour_precip') as number,
      sixHourPrecip: row.get('six_hour_precip') as number,
    };
  }

  async day(day: StationDay): Promise<DayAggregates> {
    const key = [day.stationId, day.year, day.month, day.day];
    const where = 'WHERE wsid = ? AND year = ? AND month = ? AND day = ?';
    const [temperature, precipitation] = await Promise.all([
      this.rows(`SELECT wsid, year, month, day, high, low, mean, variance, stdev, hours FROM ${this.keyspace}.daily_aggregate_temperature ${where}`, key),
      this.rows(`SELECT wsid, year, month, day, precipitation FROM ${this.keyspace}.daily_aggregate_precip ${where}`, key),
    ]);
    return {
      temperature: temperature[0] === undefined ? undefined : dailyTemperatureRow(temperature[0]),
      precipitation: precipitation[0] === undefined ? undefined : dailyPrecipitationRow(precipitation[0]),
    };
  }

  async month(month: StationMonth): Promise<MonthlyTemperatureRow | undefined> {
    const [row] = await this.rows(`SELECT wsid, year, month, high, low FROM ${this.keyspace}.monthly_aggregate_temperature WHERE wsid = ? AND year = ? AND month = ?`, [
      month.stationId,
      month.year,
      month.month,
    ]);
    return row === undefined ? undefined : monthlyTemperatureRow(row);
  }

  async annualPrecipitation(year: StationYear): Promise<AnnualPrecipitationRow | undefined> {
    const [row] = await this.rows(`SELECT wsid, year, precipitation FROM ${this.keyspace}.year_cumulative_precip WHERE wsid = ? AND year = ?`, [year.stationId, year.year]);
    return row === undefined ? undefined : annualPrecipitationRow(row);
  }

  async topPrecipitationDays(year: StationYear, k: number): Promise<DailyPrecipitationRow[]> {
    // At most 366 rows of one partition: sorted here (Cassandra orders by clustering key only).
    const rows = (await this.rows(`SELECT wsid, year, month, day, precipitation FROM ${this.keyspace}.daily_aggregate_precip WHERE wsid = ? AND year = ?`, [year.stationId, year.year])).map(
      dailyPrecipitationRow,
    );
    return rows.sort((a, b) => b.precipitation - a.precipitation || a.month - b.month || a.day - b.day).slice(0, k);
  }

  async station(stationId: string): Promise<WeatherStationInfo | undefined> {
    const [row] = await this.rows(`SELECT id, name, country_code, state_code, call_sign, lat, long, elevation FROM ${this.keyspace}.weather_station WHERE id = ?`, [stationId]);
    if (row === undefined) return undefined;
    return {
      id: row.get('id') as string,
      name: row.get('name') as string,
      countryCode: row.get('country_code') as string,
      stateCode: row.get('state_code') as string,
      callSign: row.get('call_sign') as string,
      lat: row.get('lat') as number,
      long: row.get('long') as number,
      elevation: row.get('elevation') as number,
    };
  }

  /** Upserts reference data about stations. */
  async saveStations(stations: readonly WeatherStationInfo[]): Promise<void> {
    await this.sinks.stations.upsert(stations.map((s) => [s.id, s.name, s.countryCode, s.stateCode, s.callSign, s.lat, s.long, s.elevation]));
  }

  private async rows(cql: string, params: readonly unknown[]): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const row of this.client.stream(cql, params as unknown[], this.read) as unknown as AsyncIterable<Row>) rows.push(row);
    return rows;
  }
}

const dailyTemperatureValues = (r: DailyTemperatureRow): unknown[] => [r.stationId, r.year, r.month, r.day, r.high, r.low, r.mean, r.variance, r.stdev, r.hours];

function dailyTemperatureRow(row: Row): DailyTemperatureRow {
  return {
    stationId: row.get('wsid') as string,
    year: row.get('year') as number,
    month: row.get('month') as number,
    day: row.get('day') as number,
    high: row.get('high') as number,
    low: row.get('low') as number,
    mean: row.get('mean') as number,
    variance: row.get('variance') as number,
    stdev: row.get('stdev') as number,
    hours: row.get('hours') as number,
  };
}

function dailyPrecipitationRow(row: Row): DailyPrecipitationRow {
  return { stationId: row.get('wsid') as string, year: row.get('year') as number, month: row.get('month') as number, day: row.get('day') as number, precipitation: row.get('precipitation') as number };
}

function monthlyTemperatureRow(row: Row): MonthlyTemperatureRow {
  return { stationId: row.get('wsid') as string, year: row.get('year') as number, month: row.get('month') as number, high: row.get('high') as number, low: row.get('low') as number };
}

function annualPrecipitationRow(row: Row): AnnualPrecipitationRow {
  return { stationId: row.get('wsid') as string, year: row.get('year') as number, precipitation: row.get('precipitation') as number };
}

async function forEachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, items.length) }, worker));
}
