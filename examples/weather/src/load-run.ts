// KillrWeather's load set (five stations, 2008–2014, 395,453 hourly readings) through the
// whole Kafka + Cassandra pipeline in one process: uploads over HTTP → stations journaled on
// Kafka → event topic → projection → Cassandra tables. Prints one JSON line: readings/s in,
// readings/s through to the read model, and the lag from each event's journal write to the
// end of the read-model writes of its batch (p50, p99, max). `npm run bench:projection` runs it.
//
// node dist/load-run.js [--readings N] [--warmup 5000] [--rate R] [--chunk 1000] [--concurrency 4] [--keep]
//   --readings N     the first N readings in time order, all stations interleaved (default: all)
//   --warmup W       of those, the first W go in first, unmeasured, and the run waits until they are in
//                    the read model: the stations' journal topics are created then (seconds each on a
//                    small broker), which would otherwise count as lag of the first events (default 5000)
//   --rate R         offer R readings/s (uploads paced); 0 = as fast as the pipeline takes them (default 0)
//   --keep           keep the keyspace and topics (default: a fresh keyspace and topics, dropped at the end)
// Env: TROUPE_KAFKA_BROKERS, TROUPE_CASSANDRA_CONTACT_POINTS (as npm run start:services).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Admin } from '@platformatic/kafka';
import { silentLogger } from '@troupe/core';
import type { FeedReport } from './feed-ingestion.js';
import { WeatherServicesPipeline } from './services-pipeline.js';
import { readSingleZipEntry } from './zip-entry.js';

const { values } = parseArgs({
  options: {
    readings: { type: 'string' },
    rate: { type: 'string', default: '0' },
    chunk: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '5000' },
    keep: { type: 'boolean', default: false },
  },
});
const whole = (name: string, text: string | undefined, min: number): number => {
  const n = Number(text);
  if (!(Number.isSafeInteger(n) && n >= min)) throw new TypeError(`load-run: --${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
};
const rate = whole('rate', values.rate, 0);
const chunk = whole('chunk', values.chunk, 1);
const concurrency = whole('concurrency', values.concurrency, 1);
const warmup = whole('warmup', values.warmup, 0);
const list = (text: string): string[] => text.split(',').filter((s) => s.trim() !== '');
const run = randomUUID().replaceAll('-', '').slice(0, 10);
const settings = {
  brokers: list(process.env.TROUPE_KAFKA_BROKERS ?? '127.0.0.1:19092'),
  contactPoints: list(process.env.TROUPE_CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042'),
  keyspace: `weather_load_${run}`,
  topic: `weather-load-${run}-events`,
  journalTopicPrefix: `weather-load-${run}-journal-`,
};

// The file is sorted by station; in time order every station reports each hour, as live feeds would.
const file = fileURLToPath(new URL('../data/sfo-nyc-mia-lax-chi-2008-2014.csv.zip', import.meta.url));
const all = readSingleZipEntry(readFileSync(file)).toString('utf8').trimEnd().split('\n');
const timeKey = (line: string): string => line.slice(line.indexOf(',') + 1, line.indexOf(',') + 14);
const lines = all
  .map((line, i) => ({ line, key: timeKey(line), i }))
  .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i))
  .map((e) => e.line)
  .slice(0, values.readings === undefined ? all.length : whole('readings', values.readings, 1));

const lags: number[] = [];
let applied = 0;
let measuring = false;
const pipeline = await WeatherServicesPipeline.start({
  ...settings,
  logger: silentLogger,
  onBatchWritten: (_n, batch) => {
    if (!measuring) return;
    const now = Date.now();
    for (const envelope of batch) lags.push(now - envelope.timestamp);
    applied += batch.length;
  },
});
let stored = 0;
let refused = 0;
let duplicates = 0;
try {
  const warm = lines.slice(0, warmup);
  for (let i = 0; i < warm.length; i += chunk) {
    const response = await fetch(`${pipeline.api.url}/feed`, { method: 'POST', body: `${warm.slice(i, i + chunk).join('\n')}\n` });
    if (response.status !== 200) throw new Error(`POST /feed (warm-up): ${response.status} ${await response.text()}`);
  }
  await pipeline.projection?.caughtUpTo(await pipeline.lastEventOffset(), 600_000);
  measuring = true;
  const measured = lines.slice(warmup);
  const chunks: string[] = [];
  for (let i = 0; i < measured.length; i += chunk) chunks.push(`${measured.slice(i, i + chunk).join('\n')}\n`);
  const started = performance.now();
  let next = 0;
  // Each of `concurrency` loops uploads the next chunk, no earlier than its paced start time.
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < chunks.length) {
        const i = next++;
        if (rate > 0) {
          const due = started + ((i * chunk) / rate) * 1000;
          const wait = due - performance.now();
          if (wait > 0) await new Promise<void>((resolve) => setTimeout(resolve, wait));
        }
        const response = await fetch(`${pipeline.api.url}/feed`, { method: 'POST', body: chunks[i] as string });
        const report = (await response.json()) as FeedReport;
        if (response.status !== 200) throw new Error(`POST /feed: ${response.status} ${JSON.stringify(report)}`);
        stored += report.stored;
        refused += report.refused.length;
        duplicates += report.duplicates;
      }
    }),
  );
  const ingested = performance.now();
  const end = await pipeline.lastEventOffset();
  await pipeline.projection?.caughtUpTo(end, 1_800_000);
  const done = performance.now();
  const sorted = [...lags].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  console.log(
    JSON.stringify({
      readings: lines.length,
      warmup: warm.length,
      measured: measured.length,
      stored,
      duplicates,
      refused,
      applied,
      offeredRate: rate,
      ingestSeconds: Math.round(ingested - started) / 1000,
      ingestRate: Math.round(stored / ((ingested - started) / 1000)),
      endToEndSeconds: Math.round(done - started) / 1000,
      endToEndRate: Math.round(stored / ((done - started) / 1000)),
      lagMs: { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 },
    }),
  );
} finally {
  if (!values.keep) await pipeline.client.execute(`DROP KEYSPACE IF EXISTS ${settings.keyspace}`).catch(() => undefined);
  await pipeline.stop();
  if (!values.keep) {
    const admin = new Admin({ bootstrapBrokers: settings.brokers, clientId: 'weather-load-cleanup' });
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`weather-load-${run}-`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin.close();
  }
}
