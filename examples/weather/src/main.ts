// KillrWeather on Troupe, on the embedded default: hourly NOAA readings are uploaded over
// HTTP to event-sourced weather stations (SQLite journal); an exactly-once projection keeps
// KillrWeather's tables in a SQLite read model; the correcting batch checks them against
// the journal; queries are answered over HTTP.
//
// npm start                 ingest the bundled 2008 files, query, then serve until Ctrl-C
// npm start -- --once       the same, then exit (the smoke test)
// npm start -- --port 8080  serve on another port (default 8080; 0 = any free port)
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CorrectingBatch } from './correcting-batch.js';
import type { FeedReport } from './feed-ingestion.js';
import { WeatherPipeline } from './weather-pipeline.js';

const { values } = parseArgs({ options: { once: { type: 'boolean', default: false }, port: { type: 'string', default: process.env.PORT ?? '8080' } } });
const port = Number(values.port);
if (!(Number.isInteger(port) && port >= 0 && port < 65_536)) throw new TypeError(`--port must be a port number, got ${JSON.stringify(values.port)}`);
const dataDir = resolve(process.env.TROUPE_WEATHER_DATA ?? '.troupe-data/weather');
const bundled = (file: string): string => fileURLToPath(new URL(`../data/${file}`, import.meta.url));
const number = (n: number): string => n.toLocaleString('en-US');

console.log('KillrWeather on Troupe (embedded default: SQLite journal + SQLite read model)');
console.log(`data: ${dataDir} (delete it to start over)\n`);
const pipeline = await WeatherPipeline.start({ dataDir, port, stationsFile: bundled('weather_stations.csv') });
const { url } = pipeline.api;

// 1. Ingest: the feed files are uploaded as they are (gzip) through the HTTP API.
for (const file of ['ny-2008.csv.gz', 'sf-2008.csv.gz']) {
  const started = performance.now();
  const response = await fetch(`${url}/feed`, { method: 'POST', body: readFileSync(bundled(file)), headers: { 'content-type': 'text/csv' } });
  const report = (await response.json()) as FeedReport;
  if (response.status !== 200) throw new Error(`POST /feed ${file}: ${response.status} ${JSON.stringify(report)}`);
  const ms = performance.now() - started;
  console.log(
    `1. ingest      POST /feed ${file}: ${number(report.lines)} lines, ${number(report.stored)} stored, ${number(report.duplicates)} duplicates, ${report.refused.length} refused (${ms.toFixed(0)} ms)`,
  );
}

// 2. Stream: wait until the projection has committed every event in the journal.
const started = performance.now();
const last = await pipeline.lastJournalOffset();
await pipeline.projection?.caughtUpTo(last);
console.log(`2. stream      the projection committed every event up to journal offset ${number(last)} (${(performance.now() - started).toFixed(0)} ms after the uploads)`);

// 3. Queries, answered from the read model.
console.log('3. queries');
for (const path of [
  '/stations/725030:14732/current',
  '/stations/725030:14732/days/2008-07-04',
  '/stations/724940:23234/months/2008-01',
  '/stations/725030:14732/years/2008/precipitation',
  '/stations/725030:14732/years/2008/top-precipitation?k=3',
]) {
  const response = await fetch(`${url}${path}`);
  console.log(`   GET ${path} → ${response.status} ${JSON.stringify(await response.json())}`);
}

// 4. The correcting batch: recompute everything from the journal and compare.
const report = await CorrectingBatch.run({ readJournal: pipeline.readJournal, readModelPath: pipeline.files.readModel });
console.log(
  `4. batch       recomputed ${number(report.readings)} readings from the journal at offset ${number(report.atOffset)}: ` +
    `${number(report.recomputed.dailyTemperature)} daily temperature rows, ${number(report.recomputed.dailyPrecipitation)} daily precipitation rows, ` +
    `${number(report.recomputed.monthlyTemperature)} months, ${number(report.recomputed.annualPrecipitation)} years; ${report.totalDiffering} differed from the stream`,
);

if (values.once) {
  await pipeline.stop();
  if (report.totalDiffering !== 0) process.exitCode = 1;
} else {
  console.log(`\nServing ${url} — try: curl ${url}/stations/725030:14732/days/2008-01-01   (Ctrl-C to stop)`);
  const stop = (): void => void pipeline.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
