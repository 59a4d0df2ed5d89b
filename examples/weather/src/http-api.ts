import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FeedDecodeError, FeedTooLargeError, IngestError } from './errors.js';
import { feedLines } from './csv-feed.js';
import type { FeedIngestion } from './feed-ingestion.js';
import { daysInMonth, pad } from './reading.js';
import type { ReadModelQueries } from './read-model.js';

/** Options of `WeatherHttpApi.listen`. */
export interface WeatherHttpApiOptions {
  /** Where uploads go. */
  readonly ingestion: FeedIngestion;
  /** Where queries are answered from. */
  readonly queries: ReadModelQueries;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Largest request body, and largest feed once unzipped, in bytes. @default 32 MiB */
  readonly maxBodyBytes?: number;
}

/** An HTTP answer other than 200 with a reason for the caller. */
class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ROUTES = [
  'POST /feed                                   CSV feed, plain or gzip',
  'POST /readings                               one reading as JSON',
  'GET  /stations/{id}/current',
  'GET  /stations/{id}/days/{YYYY-MM-DD}',
  'GET  /stations/{id}/months/{YYYY-MM}',
  'GET  /stations/{id}/years/{YYYY}/precipitation',
  'GET  /stations/{id}/years/{YYYY}/top-precipitation?k=10',
];

/**
 * The pipeline's HTTP face (node:http, JSON answers):
 *
 * - `POST /feed`: the NOAA CSV feed, plain or gzip. Like a bulk API, every valid line
 *   is stored and every malformed one is reported with its line number and reason;
 *   200 with `{ lines, stored, duplicates, refused: [{ line, reason }] }`.
 * - `POST /readings`: one reading as JSON: 201 stored, 200 duplicate, 422 refused (why).
 * - `GET /stations/{id}/…`: current weather, a day, a month, a year's precipitation and
 *   its top-k days, answered from the read model; 404 when it holds nothing for them.
 *
 * A request that is wrong gets a 4xx naming what was wrong; a station that cannot store
 * gets 503. Computed figures (mean, variance, stdev, precipitation sums) are shown rounded
 * to 3 decimals; the read model holds them exactly.
 */
export class WeatherHttpApi {
  private constructor(
    private readonly server: Server,
    /** `http://host:port`. */
    readonly url: string,
  ) {}

  /** Starts listening; resolves once the port is bound. */
  static async listen(options: WeatherHttpApiOptions): Promise<WeatherHttpApi> {
    const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
    if (!(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes > 0)) throw new RangeError(`WeatherHttpApi: maxBodyBytes must be a positive integer, got ${maxBodyBytes}`);
    const server = createServer((request, response) => {
      handle(request, options, maxBodyBytes).then(
        ({ status, body }) => send(response, status, body),
        (error: unknown) => {
          if (error instanceof HttpProblem) send(response, error.status, { error: error.message });
          else if (error instanceof IngestError) send(response, 503, { error: error.message, code: error.code });
          else send(response, 500, { error: `internal error: ${(error as Error).message}` });
        },
      );
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new WeatherHttpApi(server, `http://${host}:${port}`);
  }

  /** Stops accepting connections and closes idle ones; resolves when the server is closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }
}

async function handle(request: IncomingMessage, options: WeatherHttpApiOptions, maxBodyBytes: number): Promise<{ status: number; body: unknown }> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const path = decodeURIComponent(url.pathname);
  const method = request.method ?? 'GET';
  const { queries, ingestion } = options;
  if (path === '/feed' || path === '/readings') {
    if (method !== 'POST') throw new HttpProblem(405, `${path} takes POST, not ${method}`);
    const body = await readBody(request, maxBodyBytes);
    if (path === '/feed') {
      if (body.length === 0) throw new HttpProblem(400, 'the feed is empty: send NOAA CSV lines (plain or gzip) as the body');
      let lines: string[];
      try {
        lines = await feedLines(body, maxBodyBytes);
      } catch (error) {
        if (error instanceof FeedTooLargeError) throw new HttpProblem(413, error.message);
        if (error instanceof FeedDecodeError) throw new HttpProblem(400, error.message);
        throw error;
      }
      return { status: 200, body: await ingestion.ingestLines(lines) };
    }
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new HttpProblem(400, `the body is not JSON: ${(error as Error).message}`);
    }
    const result = await ingestion.ingestReading(input);
    if (result.refused !== undefined) throw new HttpProblem(422, `reading refused: ${result.refused}`);
    return result.stored ? { status: 201, body: { stored: true } } : { status: 200, body: { stored: false, duplicate: true } };
  }
  const station = /^\/stations\/([^/]+)\/(.+)$/.exec(path);
  if (station === null) throw new HttpProblem(404, `no route ${method} ${path}; routes: ${ROUTES.join('; ')}`);
  if (method !== 'GET') throw new HttpProblem(405, `${path} takes GET, not ${method}`);
  const stationId = station[1] as string;
  if (!/^\d{6}:\d{5}$/.test(stationId)) throw new HttpProblem(400, `station id must be USAF:WBAN (6 and 5 digits, e.g. 725030:14732), got ${JSON.stringify(stationId)}`);
  const rest = station[2] as string;
  const info = await queries.station(stationId);
  const name = info?.name ?? null;
  if (rest === 'current') {
    const reading = await queries.currentWeather(stationId);
    if (reading === undefined) throw new HttpProblem(404, `no reading of station ${stationId} yet`);
    return { status: 200, body: { station: name, ...reading } };
  }
  let match = /^days\/(.+)$/.exec(rest);
  if (match !== null) {
    const { year, month, day } = parseDate(match[1] as string);
    const { temperature, precipitation } = await queries.day({ stationId, year, month, day });
    if (temperature === undefined && precipitation === undefined) throw new HttpProblem(404, `no aggregates of station ${stationId} for ${year}-${pad(month)}-${pad(day)}`);
    const t =
      temperature === undefined
        ? null
        : { high: temperature.high, low: temperature.low, mean: shown(temperature.mean), variance: shown(temperature.variance), stdev: shown(temperature.stdev), hours: temperature.hours };
    const wet = precipitation === undefined ? null : shown(precipitation.precipitation);
    return { status: 200, body: { stationId, station: name, date: `${year}-${pad(month)}-${pad(day)}`, temperature: t, precipitation: wet } };
  }
  match = /^months\/(.+)$/.exec(rest);
  if (match !== null) {
    const { year, month } = parseMonth(match[1] as string);
    const row = await queries.month({ stationId, year, month });
    if (row === undefined) throw new HttpProblem(404, `no aggregates of station ${stationId} for ${year}-${pad(month)}`);
    return { status: 200, body: { stationId, station: name, month: `${year}-${pad(month)}`, high: row.high, low: row.low } };
  }
  match = /^years\/([^/]+)\/(precipitation|top-precipitation)$/.exec(rest);
  if (match !== null) {
    const year = parseYear(match[1] as string);
    if (match[2] === 'precipitation') {
      const row = await queries.annualPrecipitation({ stationId, year });
      if (row === undefined) throw new HttpProblem(404, `no precipitation of station ${stationId} for ${year}`);
      return { status: 200, body: { stationId, station: name, year, precipitation: shown(row.precipitation) } };
    }
    const kText = url.searchParams.get('k') ?? '10';
    const k = Number(kText);
    if (!(/^\d+$/.test(kText) && k >= 1 && k <= 366)) throw new HttpProblem(400, `k must be a whole number from 1 to 366, got ${JSON.stringify(kText)}`);
    const days = await queries.topPrecipitationDays({ stationId, year }, k);
    if (days.length === 0) throw new HttpProblem(404, `no precipitation of station ${stationId} for ${year}`);
    return { status: 200, body: { stationId, station: name, year, days: days.map((d) => ({ date: `${d.year}-${pad(d.month)}-${pad(d.day)}`, precipitation: shown(d.precipitation) })) } };
  }
  throw new HttpProblem(404, `no route ${method} ${path}; routes: ${ROUTES.join('; ')}`);
}

/** A computed figure as shown to people: 3 decimals (the inputs have 1). The read model keeps the exact double. */
export function shown(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function parseYear(text: string): number {
  if (!/^\d{4}$/.test(text)) throw new HttpProblem(400, `year must be YYYY, got ${JSON.stringify(text)}`);
  return Number(text);
}

function parseMonth(text: string): { year: number; month: number } {
  const m = /^(\d{4})-(\d{2})$/.exec(text);
  const month = Number(m?.[2]);
  if (m === null || month < 1 || month > 12) throw new HttpProblem(400, `month must be YYYY-MM with MM from 01 to 12, got ${JSON.stringify(text)}`);
  return { year: Number(m[1]), month };
}

function parseDate(text: string): { year: number; month: number; day: number } {
  const m = /^(\d{4}-\d{2})-(\d{2})$/.exec(text);
  if (m === null) throw new HttpProblem(400, `date must be YYYY-MM-DD, got ${JSON.stringify(text)}`);
  const { year, month } = parseMonth(m[1] as string);
  const day = Number(m[2]);
  if (day < 1 || day > daysInMonth(year, month)) throw new HttpProblem(400, `day must be from 01 to ${daysInMonth(year, month)} in ${m[1]}, got ${m[2]}`);
  return { year, month, day };
}

/** Reads the whole body, refusing (413) as soon as it passes `maxBytes`; the connection then closes after the answer. */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): void => {
      request.removeAllListeners('data');
      // Nothing more is read; the answer says why and the connection closes after it.
      request.pause();
      reject(new HttpProblem(413, `the body is larger than the limit of ${maxBytes} bytes`));
    };
    if (Number(request.headers['content-length']) > maxBytes) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return tooLarge();
      chunks.push(chunk);
    });
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) };
  // An unread body (413) cannot be skipped on a kept-alive connection.
  if (status === 413) headers.connection = 'close';
  response.writeHead(status, headers);
  response.end(text);
}
