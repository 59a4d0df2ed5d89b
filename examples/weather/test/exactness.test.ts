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
import { type Rows, aggregatesFromCsv } from './fixtures/csv-aggregates.js';

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
