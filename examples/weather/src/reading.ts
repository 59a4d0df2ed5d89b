/** One hourly observation of one weather station, as stored in its journal. */
export interface Reading {
  /** NOAA station id, `USAF:WBAN` (e.g. `725030:14732`, New York LaGuardia). */
  readonly stationId: string;
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  /** 1–31, valid for the month. */
  readonly day: number;
  /** 0–23, UTC. */
  readonly hour: number;
  /** °C; null when the source had no observation for the hour (see `parseReadingLine`). */
  readonly temperature: number | null;
  /** °C; null when absent (NOAA's 999.9). */
  readonly dewPoint: number | null;
  /** Sea-level pressure in hPa; null when absent (0.0 in the feed). */
  readonly pressure: number | null;
  /** Degrees, 0–360. */
  readonly windDirection: number;
  /** m/s. */
  readonly windSpeed: number;
  /** Oktas 0–8, 9 = sky obscured. */
  readonly skyCondition: number;
  /** mm in the hour; a trace (written -0.1) is 0. */
  readonly oneHourPrecip: number;
  /** mm in the last six hours; a trace (written -0.1) is 0. */
  readonly sixHourPrecip: number;
}

/** Why a line or a JSON reading was refused; `line` is 1-based, absent for a JSON reading. */
export interface ReadingRefusal {
  readonly line?: number;
  readonly reason: string;
}

/** The result of parsing or validating one reading: the reading, or why it was refused. */
export type ReadingResult = { readonly ok: true; readonly reading: Reading } | { readonly ok: false; readonly reason: string };

/** The CSV columns, in order (KillrWeather's `raw_weather_data` without the sky text). */
export const READING_COLUMNS = [
  'wsid',
  'year',
  'month',
  'day',
  'hour',
  'temperature',
  'dewpoint',
  'pressure',
  'wind_direction',
  'wind_speed',
  'sky_condition',
  'one_hour_precip',
  'six_hour_precip',
] as const;

/** NOAA writes 999.9 for a dew point it does not have. */
const ABSENT_DEW_POINT = 999.9;
/** NOAA writes -0.1 mm for a trace of precipitation (less than 0.1 mm). */
const TRACE = -0.1;
const STATION_ID = /^\d{6}:\d{5}$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const INTEGER = /^\d+$/;

/**
 * Parses one line of the NOAA feed (`wsid,year,month,day,hour,temperature,…`; no header,
 * no quoting). The packaged feed marks an hour without an observation by a dew point of
 * 999.9 and fills the rest with zeros: on every such line the temperature is 0.0, which is
 * not a measurement, so it is stored as null (KillrWeather counted those zeros into the
 * daily low and mean). A pressure of 0.0 is absent too.
 */
export function parseReadingLine(line: string): ReadingResult {
  const fields = line.split(',');
  if (fields.length !== READING_COLUMNS.length) return refuse(`expected ${READING_COLUMNS.length} comma-separated fields, got ${fields.length}`);
  const [wsid, year, month, day, hour, temperature, dewPoint, pressure, windDirection, windSpeed, sky, oneHour, sixHour] = fields.map((f) => f.trim()) as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const numbers: Record<string, number> = {};
  const numeric: [string, string, RegExp][] = [
    ['year', year, INTEGER],
    ['month', month, INTEGER],
    ['day', day, INTEGER],
    ['hour', hour, INTEGER],
    ['temperature', temperature, DECIMAL],
    ['dewpoint', dewPoint, DECIMAL],
    ['pressure', pressure, DECIMAL],
    ['wind_direction', windDirection, INTEGER],
    ['wind_speed', windSpeed, DECIMAL],
    ['sky_condition', sky, INTEGER],
    ['one_hour_precip', oneHour, DECIMAL],
    ['six_hour_precip', sixHour, DECIMAL],
  ];
  for (const [name, text, pattern] of numeric) {
    if (!pattern.test(text)) return refuse(`${name} must be ${pattern === INTEGER ? 'a whole number' : 'a decimal number'}, got ${JSON.stringify(text)}`);
    numbers[name] = Number(text);
  }
  const missingHour = numbers.dewpoint === ABSENT_DEW_POINT;
  return validateReading({
    stationId: wsid,
    year: numbers.year,
    month: numbers.month,
    day: numbers.day,
    hour: numbers.hour,
    temperature: missingHour ? null : numbers.temperature,
    dewPoint: missingHour ? null : numbers.dewpoint,
    pressure: numbers.pressure === 0 ? null : numbers.pressure,
    windDirection: numbers.wind_direction,
    windSpeed: numbers.wind_speed,
    skyCondition: numbers.sky_condition,
    oneHourPrecip: numbers.one_hour_precip === TRACE ? 0 : numbers.one_hour_precip,
    sixHourPrecip: numbers.six_hour_precip === TRACE ? 0 : numbers.six_hour_precip,
  });
}

/**
 * Checks a reading from any source (a parsed line, a JSON body, a journal): every field
 * present with the right type and a physically possible value. Returns a fresh object
 * holding only the known fields, so nothing unchecked reaches the journal.
 */
export function validateReading(input: unknown): ReadingResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return refuse('a reading must be a JSON object');
  const r = input as Record<string, unknown>;
  if (typeof r.stationId !== 'string' || !STATION_ID.test(r.stationId)) return refuse(`stationId must be USAF:WBAN (6 and 5 digits, e.g. "725030:14732"), got ${show(r.stationId)}`);
  const checks: [string, unknown, number, number, boolean][] = [
    // field, value, min, max, whole number
    ['year', r.year, 1900, 2100, true],
    ['month', r.month, 1, 12, true],
    ['hour', r.hour, 0, 23, true],
    ['windDirection', r.windDirection, 0, 360, true],
    ['windSpeed', r.windSpeed, 0, 120, false],
    ['skyCondition', r.skyCondition, 0, 9, true],
    ['oneHourPrecip', r.oneHourPrecip, 0, 500, false],
    ['sixHourPrecip', r.sixHourPrecip, 0, 1000, false],
  ];
  for (const [name, value, min, max, whole] of checks) {
    const problem = outOfRange(value, min, max, whole);
    if (problem !== undefined) return refuse(`${name} ${problem}`);
  }
  const year = r.year as number;
  const month = r.month as number;
  const dayProblem = outOfRange(r.day, 1, daysInMonth(year, month), true);
  if (dayProblem !== undefined) return refuse(`day ${dayProblem} (${year}-${pad(month)} has ${daysInMonth(year, month)} days)`);
  for (const [name, value, min, max] of [
    ['temperature', r.temperature, -90, 60],
    ['dewPoint', r.dewPoint, -90, 60],
    ['pressure', r.pressure, 850, 1090],
  ] as const) {
    if (value === null) continue;
    const problem = outOfRange(value, min, max, false);
    if (problem !== undefined) return refuse(`${name} ${problem} (or null when absent)`);
  }
  return {
    ok: true,
    reading: {
      stationId: r.stationId,
      year,
      month,
      day: r.day as number,
      hour: r.hour as number,
      temperature: r.temperature as number | null,
      dewPoint: r.dewPoint as number | null,
      pressure: r.pressure as number | null,
      windDirection: r.windDirection as number,
      windSpeed: r.windSpeed as number,
      skyCondition: r.skyCondition as number,
      oneHourPrecip: r.oneHourPrecip as number,
      sixHourPrecip: r.sixHourPrecip as number,
    },
  };
}

/** `YYYY-MM-DDTHH`: the hour a reading is for, unique per station. */
export function readingHour(reading: Reading): string {
  return `${reading.year}-${pad(reading.month)}-${pad(reading.day)}T${pad(reading.hour)}`;
}

/** Days in `month` of `year`, leap years included. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Two digits. */
export function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function outOfRange(value: unknown, min: number, max: number, whole: boolean): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number, got ${show(value)}`;
  if (whole && !Number.isInteger(value)) return `must be a whole number, got ${value}`;
  if (value < min || value > max) return `must be between ${min} and ${max}, got ${value}`;
  return undefined;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function refuse(reason: string): ReadingResult {
  return { ok: false, reason };
}
