import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { silentLogger } from '@troupe/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeatherHttpApi } from '../src/http-api.js';
import { WeatherPipeline } from '../src/weather-pipeline.js';

const dataDir = mkdtempSync(join(tmpdir(), 'troupe-weather-http-'));
const bundled = (file: string): string => new URL(`../data/${file}`, import.meta.url).pathname;
const nyLines = gunzipSync(readFileSync(bundled('ny-2008.csv.gz')))
  .toString('utf8')
  .trimEnd()
  .split('\n');
let pipeline: WeatherPipeline;

beforeAll(async () => {
  pipeline = await WeatherPipeline.start({ dataDir, stationsFile: bundled('weather_stations.csv'), logger: silentLogger });
});
afterAll(async () => {
  await pipeline?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

// JSON bodies, read field by field in the assertions below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function post(path: string, body: string | Buffer, contentType = 'text/csv'): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${pipeline.api.url}${path}`, { method: 'POST', body, headers: { 'content-type': contentType } });
  return { status: response.status, body: await response.json() };
}

async function get(path: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${pipeline.api.url}${path}`);
  return { status: response.status, body: await response.json() };
}

/** Waits until the projection has committed everything the journal holds now. */
async function projected(): Promise<void> {
  await pipeline.projection?.caughtUpTo(await pipeline.lastJournalOffset(), 30_000);
}

/** Population statistics of the temperatures of `lines` (this test's own arithmetic, rounded as the API shows it). */
function expectedDay(lines: readonly string[]): { high: number; low: number; mean: number; hours: number } {
  const temps = lines.filter((l) => l.split(',')[6] !== '999.9').map((l) => Number(l.split(',')[5]));
  const mean = temps.reduce((a, b) => a + b, 0) / temps.length;
  return { high: Math.max(...temps), low: Math.min(...temps), mean: Math.round(mean * 1000) / 1000, hours: temps.length };
}

describe('WeatherHttpApi', () => {
  it('ingests a plain CSV feed and answers a day from the read model', async () => {
    const jan1 = nyLines.slice(0, 24);
    const { status, body } = await post('/feed', `${jan1.join('\n')}\n`);
    expect({ status, body }).toEqual({ status: 200, body: { lines: 24, stored: 24, duplicates: 0, refused: [] } });
    await projected();
    const day = await get('/stations/725030:14732/days/2008-01-01');
    expect(day.status).toBe(200);
    expect(day.body).toMatchObject({ stationId: '725030:14732', station: 'NEW YORK LAGUARDIA ARPT', date: '2008-01-01', temperature: expectedDay(jan1) });
    // Hour 05 of New York is a filler line (dew point 999.9): not a temperature.
    expect(day.body.temperature.hours).toBe(23);
    const current = await get('/stations/725030:14732/current');
    expect(current.body).toMatchObject({ stationId: '725030:14732', year: 2008, month: 1, day: 1, hour: 23 });
  });

  it('ingests a gzip feed as it is and answers month, year and top-k queries', async () => {
    const { status, body } = await post('/feed', readFileSync(bundled('sf-2008.csv.gz')), 'application/gzip');
    expect({ status, body }).toEqual({ status: 200, body: { lines: 8784, stored: 8784, duplicates: 0, refused: [] } });
    await projected();
    const sfLines = gunzipSync(readFileSync(bundled('sf-2008.csv.gz')))
      .toString('utf8')
      .trimEnd()
      .split('\n');
    const january = sfLines.filter((l) => l.split(',')[2] === '01' && l.split(',')[6] !== '999.9').map((l) => Number(l.split(',')[5]));
    expect((await get('/stations/724940:23234/months/2008-01')).body).toMatchObject({ month: '2008-01', high: Math.max(...january), low: Math.min(...january) });
    const wet = sfLines.map((l) => Math.max(0, Number(l.split(',')[11]))).reduce((a, b) => a + b, 0);
    const year = await get('/stations/724940:23234/years/2008/precipitation');
    expect(year.body.precipitation).toBeCloseTo(wet, 9);
    const top = await get('/stations/724940:23234/years/2008/top-precipitation?k=3');
    expect(top.body.days).toHaveLength(3);
    const amounts = top.body.days.map((d: { precipitation: number }) => d.precipitation);
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
  });

  it('stores the good lines of a feed and refuses each malformed one with its line number and reason, storing nothing of it', async () => {
    const [a, b, c] = nyLines.slice(24, 27) as [string, string, string];
    const broken = b
      .split(',')
      .map((f, i) => (i === 5 ? 'warm' : f))
      .join(',');
    const { status, body } = await post('/feed', `${a}\n${broken}\n\n${c}\nnot,a,reading\n`);
    expect(status).toBe(200);
    expect(body).toEqual({
      lines: 4,
      stored: 2,
      duplicates: 0,
      refused: [
        { line: 2, reason: 'temperature must be a decimal number, got "warm"' },
        { line: 5, reason: 'expected 13 comma-separated fields, got 3' },
      ],
    });
    await projected();
    // Hours 00 and 02 of 2 January are stored; hour 01 (line 2) is not.
    const day = await get('/stations/725030:14732/days/2008-01-02');
    expect(day.body.temperature.hours).toBe(2);
    expect(
      pipeline.readModel.database
        .prepare("SELECT hour FROM raw_weather_data WHERE wsid = '725030:14732' AND month = 1 AND day = 2 ORDER BY hour")
        .all()
        .map((r) => r.hour),
    ).toEqual([0, 2]);
  });

  it('stores nothing again when a feed is uploaded twice', async () => {
    const { body } = await post('/feed', gzipSync(`${nyLines.slice(0, 24).join('\n')}\n`));
    expect(body).toEqual({ lines: 24, stored: 0, duplicates: 24, refused: [] });
  });

  it('takes one reading as JSON: stored, then a duplicate, and a later different reading of the hour corrects it', async () => {
    const reading = {
      stationId: '725030:14732',
      year: 2008,
      month: 3,
      day: 1,
      hour: 12,
      temperature: 8.5,
      dewPoint: 1,
      pressure: 1012,
      windDirection: 90,
      windSpeed: 3,
      skyCondition: 4,
      oneHourPrecip: 0.4,
      sixHourPrecip: 1,
    };
    expect(await post('/readings', JSON.stringify(reading), 'application/json')).toEqual({ status: 201, body: { stored: true } });
    expect(await post('/readings', JSON.stringify(reading), 'application/json')).toEqual({ status: 200, body: { stored: false, duplicate: true } });
    expect((await post('/readings', JSON.stringify({ ...reading, temperature: 10.5 }), 'application/json')).status).toBe(201);
    await projected();
    expect((await get('/stations/725030:14732/days/2008-03-01')).body).toMatchObject({ temperature: { high: 10.5, low: 10.5, hours: 1 }, precipitation: 0.4 });
  });

  it('refuses a malformed JSON reading with 422 and a body that is not JSON with 400, naming what is wrong', async () => {
    const refused = await post('/readings', JSON.stringify({ stationId: '725030:14732', year: 2008, month: 2, day: 30 }), 'application/json');
    expect(refused).toEqual({ status: 422, body: { error: 'reading refused: hour must be a number, got nothing' } });
    const badDay = await post(
      '/readings',
      JSON.stringify({ stationId: '725030:14732', year: 2008, month: 2, day: 30, hour: 1, windDirection: 0, windSpeed: 0, skyCondition: 0, oneHourPrecip: 0, sixHourPrecip: 0 }),
      'application/json',
    );
    expect(badDay).toEqual({ status: 422, body: { error: 'reading refused: day must be between 1 and 29, got 30 (2008-02 has 29 days)' } });
    const notJson = await post('/readings', '{"stationId":', 'application/json');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/^the body is not JSON: /);
  });

  it('answers wrong requests with a 4xx that says what was wrong', async () => {
    expect(await get('/stations/725030:14732/days/2008-02-30')).toEqual({ status: 400, body: { error: 'day must be from 01 to 29 in 2008-02, got 30' } });
    expect(await get('/stations/725030:14732/days/yesterday')).toEqual({ status: 400, body: { error: 'date must be YYYY-MM-DD, got "yesterday"' } });
    expect(await get('/stations/725030:14732/months/2008-13')).toEqual({ status: 400, body: { error: 'month must be YYYY-MM with MM from 01 to 12, got "2008-13"' } });
    expect(await get('/stations/LGA/current')).toEqual({ status: 400, body: { error: 'station id must be USAF:WBAN (6 and 5 digits, e.g. 725030:14732), got "LGA"' } });
    expect(await get('/stations/725030:14732/years/2008/top-precipitation?k=0')).toEqual({ status: 400, body: { error: 'k must be a whole number from 1 to 366, got "0"' } });
    expect(await get('/stations/725030:14732/days/2009-01-01')).toEqual({ status: 404, body: { error: 'no aggregates of station 725030:14732 for 2009-01-01' } });
    expect(await get('/stations/722020:12839/current')).toEqual({ status: 404, body: { error: 'no reading of station 722020:12839 yet' } });
    expect((await get('/weather')).status).toBe(404);
    expect((await get('/feed')).body).toEqual({ error: '/feed takes POST, not GET' });
    expect(await post('/feed', '')).toEqual({ status: 400, body: { error: 'the feed is empty: send NOAA CSV lines (plain or gzip) as the body' } });
    const brokenGzip = await post('/feed', Buffer.concat([gzipSync(nyLines[0] as string).subarray(0, 12)]));
    expect(brokenGzip.status).toBe(400);
    expect(brokenGzip.body.error).toMatch(/^the gzip stream is broken: /);
  });

  it('refuses a body over maxBodyBytes with 413, and a gzip feed that unpacks past it, before holding it', async () => {
    const small = await WeatherHttpApi.listen({ ingestion: pipeline.ingestion, queries: pipeline.readModel, maxBodyBytes: 4096 });
    try {
      const tooBig = await fetch(`${small.url}/feed`, { method: 'POST', body: 'x'.repeat(5000) });
      expect({ status: tooBig.status, body: await tooBig.json() }).toEqual({ status: 413, body: { error: 'the body is larger than the limit of 4096 bytes' } });
      const bomb = await fetch(`${small.url}/feed`, { method: 'POST', body: gzipSync(Buffer.alloc(100_000, 0x41)) });
      expect({ status: bomb.status, body: await bomb.json() }).toEqual({ status: 413, body: { error: 'the feed unpacks to more than 4096 bytes' } });
    } finally {
      await small.close();
    }
  });
});
