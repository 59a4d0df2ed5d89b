// The exactness test of the tracker issue: the 2008 New York and San Francisco feeds
// (17,568 readings) are ingested while the projection process is SIGKILLed several times
// mid-stream (inside a batch's transaction, after its writes, before its commit) and
// restarted; afterwards the stream's aggregates equal the correcting batch's recomputation
// from the journal and the aggregates this test computes from the CSV itself, exactly.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { silentLogger } from '@troupe/core';
import { runNodeProgram } from '@troupe/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { CorrectingBatch } from '../src/correcting-batch.js';
import { SqliteReadModel } from '../src/sqlite-read-model.js';
import { WeatherPipeline } from '../src/weather-pipeline.js';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'troupe-weather-exact-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const KILLS = 4;
const BATCH = 200;
const CRASH_AT_BATCH = 4;
const UPLOADS = 48;

/** The CSV lines, in file order. */
const lines = gunzipSync(readFileSync(join(exampleDir, 'data/ny-sf-2008.csv.gz')))
  .toString('utf8')
  .trimEnd()
  .split('\n');

interface Rows {
  dailyTemperature: Map<string, Record<string, number | string>>;
  dailyPrecipitation: Map<string, Record<string, number | string>>;
  monthlyTemperature: Map<string, Record<string, number | string>>;
  annualPrecipitation: Map<string, Record<string, number | string>>;
}

/**
 * The aggregates computed straight from the CSV lines with this test's own code, by the
 * rules the README states: hours in order; a dew point of 999.9 marks an hour without a
 * temperature; population variance (two passes); a trace (-0.1) of rain counts 0; a month's
 * high and low over its days; a year's precipitation summed over its days in date order.
 */
function aggregatesFromCsv(csv: readonly string[]): Rows {
  const days = new Map<string, { stationId: string; year: number; month: number; day: number; temps: number[]; precip: number[] }>();
  for (const line of csv) {
    const f = line.split(',');
    const [stationId, year, month, day] = [f[0] as string, Number(f[1]), Number(f[2]), Number(f[3])];
    const key = `${stationId}|${f[1]}-${f[2]}-${f[3]}`;
    let d = days.get(key);
    if (d === undefined) days.set(key, (d = { stationId, year, month, day, temps: [], precip: [] }));
    if (f[6] !== '999.9') d.temps.push(Number(f[5]));
    d.precip.push(f[11] === '-0.1' ? 0 : Number(f[11]));
  }
  const rows: Rows = { dailyTemperature: new Map(), dailyPrecipitation: new Map(), monthlyTemperature: new Map(), annualPrecipitation: new Map() };
  for (const [key, d] of days) {
    const id = { stationId: d.stationId, year: d.year, month: d.month, day: d.day };
    let rain = 0;
    for (const p of d.precip) rain += p;
    rows.dailyPrecipitation.set(key, { ...id, precipitation: rain });
    const yearKey = `${d.stationId}|${d.year}`;
    const year = rows.annualPrecipitation.get(yearKey);
    // The CSV is in date order per station, so this sums the days in date order.
    rows.annualPrecipitation.set(yearKey, { stationId: d.stationId, year: d.year, precipitation: ((year?.precipitation as number | undefined) ?? 0) + rain });
    if (d.temps.length === 0) continue;
    let sum = 0;
    for (const t of d.temps) sum += t;
    const mean = sum / d.temps.length;
    let squares = 0;
    for (const t of d.temps) squares += (t - mean) * (t - mean);
    const variance = squares / d.temps.length;
    const high = Math.max(...d.temps);
    const low = Math.min(...d.temps);
    rows.dailyTemperature.set(key, { ...id, high, low, mean, variance, stdev: Math.sqrt(variance), hours: d.temps.length });
    const monthKey = key.slice(0, -3);
    const month = rows.monthlyTemperature.get(monthKey);
    rows.monthlyTemperature.set(monthKey, {
      stationId: d.stationId,
      year: d.year,
      month: d.month,
      high: Math.max(high, (month?.high as number | undefined) ?? -Infinity),
      low: Math.min(low, (month?.low as number | undefined) ?? Infinity),
    });
  }
  return rows;
}

function readModelRows(path: string): Rows {
  const readModel = SqliteReadModel.open(path);
  try {
    const { dailyTemperature, dailyPrecipitation, monthlyTemperature, annualPrecipitation } = readModel.readAggregates();
    return { dailyTemperature, dailyPrecipitation, monthlyTemperature, annualPrecipitation } as unknown as Rows;
  } finally {
    readModel.close();
  }
}

describe('example: weather — exactness under SIGKILL', () => {
  it('ends with stream aggregates equal to the batch recomputation from the journal and to the CSV, exactly, after the projection process was killed mid-stream', async () => {
    expect(lines).toHaveLength(17_568);
    const pipeline = await WeatherPipeline.start({ dataDir, projection: false, logger: silentLogger });
    try {
      const worker = (args: readonly string[]) => runNodeProgram(['dist/projection-worker.js', '--data', dataDir, '--batch-size', String(BATCH), ...args], { cwd: exampleDir, timeoutMs: 120_000 });
      const storedOffset = (): number => {
        const readModel = SqliteReadModel.open(pipeline.files.readModel);
        try {
          return readModel.storedOffset('weather-aggregates', 'tag:weather');
        } finally {
          readModel.close();
        }
      };

      // The feed goes in as UPLOADS requests, a quarter per round. Each round starts a
      // projection process that kills itself inside its CRASH_AT_BATCH-th transaction while
      // the first half of the round's uploads go in; the second half follows the kill, so
      // every kill happens with the feed still being ingested.
      const perUpload = Math.ceil(lines.length / UPLOADS);
      const perRound = UPLOADS / KILLS;
      let stored = 0;
      const upload = async (i: number): Promise<void> => {
        const body = `${lines.slice(i * perUpload, (i + 1) * perUpload).join('\n')}\n`;
        const response = await fetch(`${pipeline.api.url}/feed`, { method: 'POST', body });
        const report = (await response.json()) as { stored: number; refused: unknown[] };
        expect({ status: response.status, refused: report.refused }).toEqual({ status: 200, refused: [] });
        stored += report.stored;
      };
      const offsetsAtKills: number[] = [];
      for (let round = 0; round < KILLS; round++) {
        const child = worker(['--crash-at-batch', String(CRASH_AT_BATCH)]);
        const first = round * perRound;
        for (let i = first; i < first + perRound / 2; i++) await upload(i);
        const result = await child;
        expect({ signal: result.signal, stderr: result.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
        const offset = storedOffset();
        const journalAtKill = await pipeline.lastJournalOffset();
        // Killed with the batch in hand written and not committed, and the feed not all in.
        expect(offset).toBeLessThan(journalAtKill);
        expect(journalAtKill).toBeLessThan(lines.length);
        offsetsAtKills.push(offset);
        for (let i = first + perRound / 2; i < first + perRound; i++) await upload(i);
      }
      // Each run resumed from the stored offset and committed some batches before its kill.
      for (let k = 1; k < KILLS; k++) expect(offsetsAtKills[k]).toBeGreaterThan(offsetsAtKills[k - 1] as number);
      expect(stored).toBe(17_568);

      const journalEnd = await pipeline.lastJournalOffset();
      const last = await worker(['--until-offset', String(journalEnd)]);
      expect({ code: last.code, stderr: last.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(last.stdout)).toMatchObject({ storedOffset: journalEnd });

      // Stream == CSV, exactly (every field of every row, compared with ===).
      const fromCsv = aggregatesFromCsv(lines);
      const stream = readModelRows(pipeline.files.readModel);
      expect(stream.dailyTemperature.size).toBe(2 * 366);
      expect(stream).toEqual(fromCsv);
      // Stream == batch: the batch recomputed every row from the journal and found none different.
      const batch = await CorrectingBatch.run({ readJournal: pipeline.readJournal, readModelPath: pipeline.files.readModel });
      expect(batch).toEqual({
        atOffset: journalEnd,
        readings: 17_568,
        recomputed: { dailyTemperature: 732, dailyPrecipitation: 732, monthlyTemperature: 24, annualPrecipitation: 2 },
        differing: { dailyTemperature: 0, dailyPrecipitation: 0, monthlyTemperature: 0, annualPrecipitation: 0 },
        totalDiffering: 0,
        rewritten: false,
      });

      // Corrupt 6 rows: 3 changed daily means, 1 changed daily rain, 1 month gone, 1 extra year.
      const db = SqliteReadModel.open(pipeline.files.readModel).database;
      db.exec(`UPDATE daily_aggregate_temperature SET mean = mean + 0.5 WHERE wsid = '725030:14732' AND year = 2008 AND month = 7 AND day IN (1, 2, 3)`);
      db.exec(`UPDATE daily_aggregate_precip SET precipitation = precipitation * 2 + 1 WHERE wsid = '724940:23234' AND year = 2008 AND month = 1 AND day = 4`);
      db.exec(`DELETE FROM monthly_aggregate_temperature WHERE wsid = '724940:23234' AND year = 2008 AND month = 12`);
      db.exec(`INSERT INTO year_cumulative_precip VALUES ('725030:14732', 2007, 12.5)`);
      db.close();
      const correcting = await CorrectingBatch.run({ readJournal: pipeline.readJournal, readModelPath: pipeline.files.readModel });
      expect(correcting).toMatchObject({
        differing: { dailyTemperature: 3, dailyPrecipitation: 1, monthlyTemperature: 1, annualPrecipitation: 1 },
        totalDiffering: 6,
        rewritten: true,
      });
      expect(readModelRows(pipeline.files.readModel)).toEqual(fromCsv);
      expect((await CorrectingBatch.run({ readJournal: pipeline.readJournal, readModelPath: pipeline.files.readModel })).totalDiffering).toBe(0);
    } finally {
      await pipeline.stop();
    }
  }, 150_000);
});
