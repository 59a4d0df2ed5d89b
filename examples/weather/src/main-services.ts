// KillrWeather on Troupe, on the real services of scripts/services: hourly NOAA readings are
// uploaded over HTTP to event-sourced weather stations journaled on Kafka; a projection
// follows the weather event topic into KillrWeather's Cassandra tables (idempotent upserts,
// no counters); the correcting batch checks them against the topic; queries are answered
// from Cassandra over HTTP.
//
// npm run start:services                 ingest the bundled 2008 files, query, then serve until Ctrl-C
// npm run start:services -- --once       the same, then exit
// npm run start:services -- --port 0     any free port (default 8080)
// Env: TROUPE_KAFKA_BROKERS (127.0.0.1:19092), TROUPE_CASSANDRA_CONTACT_POINTS (127.0.0.1:19042),
//      WEATHER_KEYSPACE (killrweather), WEATHER_TOPIC (weather-events), WEATHER_JOURNAL_PREFIX (journal-)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CassandraCorrectingBatch } from './cassandra-correcting-batch.js';
import type { FeedReport } from './feed-ingestion.js';
import { WeatherServicesPipeline } from './services-pipeline.js';

const { values } = parseArgs({ options: { once: { type: 'boolean', default: false }, port: { type: 'string', default: process.env.PORT ?? '8080' } } });
const port = Number(values.port);
if (!(Number.isInteger(port) && port >= 0 && port < 65_536)) throw new TypeError(`--port must be a port number, got ${JSON.stringify(values.port)}`);
const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
const settings = {
  brokers: list(process.env.TROUPE_KAFKA_BROKERS ?? '127.0.0.1:19092'),
  contactPoints: list(process.env.TROUPE_CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042'),
  keyspace: process.env.WEATHER_KEYSPACE ?? 'killrweather',
  topic: process.env.WEATHER_TOPIC ?? 'weather-events',
  journalTopicPrefix: process.env.WEATHER_JOURNAL_PREFIX ?? 'journal-',
};
const bundled = (file: string): string => fileURLToPath(new URL(`../data/${file}`, import.meta.url));
const number = (n: number): string => n.toLocaleString('en-US');

console.log('KillrWeather on Troupe (Kafka journal + Cassandra read model)');
console.log(
  `kafka ${settings.brokers.join(',')} (journal topics ${settings.journalTopicPrefix}*, event topic ${settings.topic}); cassandra ${settings.contactPoints.join(',')} keyspace ${settings.keyspace}\n`,
);
const pipeline = await WeatherServicesPipeline.start({ ...settings, port, stationsFile: bundled('weather_stations.csv') }).catch((error: unknown) => {
  if ((error as { code?: unknown }).code === 'EADDRINUSE') console.error(`port ${port} on 127.0.0.1 is in use: pass another one (--port 8081) or --port 0 for any free port`);
  else console.error(`${(error as Error).message}\n(start the services with scripts/services start, or point TROUPE_KAFKA_BROKERS / TROUPE_CASSANDRA_CONTACT_POINTS at yours)`);
  process.exit(1);
});
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

// 2. Stream: wait until the projection has applied every event of the topic.
const started = performance.now();
const last = await pipeline.lastEventOffset();
await pipeline.projection?.caughtUpTo(last);
console.log(`2. stream      the projection applied every event up to topic offset ${number(last)} (${(performance.now() - started).toFixed(0)} ms after the uploads)`);

// 3. Queries, answered from Cassandra.
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

// 4. The correcting batch: replay the topic, recompute everything and compare with Cassandra.
const report = await CassandraCorrectingBatch.run({ source: pipeline.source, offsetStore: pipeline.offsetStore, readModel: pipeline.readModel });
console.log(
  `4. batch       recomputed ${number(report.readings)} readings from the event topic at offset ${number(report.atOffset)}: ` +
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
