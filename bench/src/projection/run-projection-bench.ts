/**
 * Projection benchmark: per-instance throughput of an at-least-once (grouped) projection into
 * a batched SQLite sink and into a Cassandra sink, each beside a raw loop that reads the same
 * source and writes the same rows and offsets without the projection runtime, subjects in turn
 * in one process run; then the weather pipeline end to end on Kafka + Cassandra (readings/s and
 * journal → read-model lag). Needs the services (`scripts/services start`) for the Cassandra
 * pair and the end-to-end runs. Prints one JSON line per figure and a table; writes
 * bench/results/projection.json. Bounded: fixed counts, fixed rounds.
 *
 * node dist/projection/run-projection-bench.js [--only no-sink|sqlite|cassandra|end-to-end]
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cassandra from 'cassandra-driver';
import { CassandraOffsetStore } from '@troupe/projection-cassandra';
import { cassandraProjection, cassandraRaw, createCassandraTables } from './cassandra-sink-pair.js';
import { type LoadRunResult, loadRun } from './end-to-end.js';
import { noSinkProjection, noSinkRaw } from './no-sink-pair.js';
import { sqliteProjection, sqliteRaw } from './sqlite-sink-pair.js';
import { median, syntheticEnvelopes } from './synthetic-events.js';

const COUNTS = { noSink: 300_000, sqlite: 100_000, cassandra: 50_000, stations: 100, batch: 500 } as const;
const ROUNDS = { noSink: 5, sqlite: 7, cassandra: 5 } as const;
/**
 * End-to-end runs: [readings (undefined = the whole file), offered readings/s (0 = as fast as
 * it goes), lines per upload]. Throughput with large uploads; lag with 100-line uploads, closer
 * to a live feed than 1,000 readings landing at once.
 */
const LOAD_RUNS: readonly (readonly [number | undefined, number, number])[] = [
  [undefined, 0, 1000],
  [60_000, 10_000, 100],
  [60_000, 2_000, 100],
];
const TARGETS = { eventsPerSecond: 20_000, ratio: 0.8, lagP99Ms: 1_000, atRate: 10_000 } as const;

type Subject = 'projection' | 'raw';

interface Figure {
  readonly scenario: string;
  readonly subject: Subject;
  readonly value: number;
  readonly unit: string;
}

const WIDTH = 72;
const { values } = parseArgs({ options: { only: { type: 'string' } } });
const runs = new Map<string, number[]>();
const figures: Figure[] = [];
const pairedRatios: { scenario: string; pairedRatio: number }[] = [];
const judgements: { scenario: string; what: string; value: number; target: string; result: 'PASS' | 'FAIL' }[] = [];

/** One warm-up each, then `rounds` rounds running both subjects in turn; medians, and the paired ratio. */
async function pair(scenario: string, rounds: number, subjects: Record<Subject, () => Promise<number>>, judged = true): Promise<void> {
  for (const run of Object.values(subjects)) await run();
  const measured: Record<Subject, number[]> = { projection: [], raw: [] };
  for (let i = 0; i < rounds; i++) {
    // Alternating which goes first, so a periodic cost of the server (a memtable flush, a compaction) does not fall on one subject.
    const order = i % 2 === 0 ? (['projection', 'raw'] as const) : (['raw', 'projection'] as const);
    for (const subject of order) measured[subject].push(await subjects[subject]());
  }
  for (const subject of ['projection', 'raw'] as const) {
    runs.set(`${scenario}/${subject}`, measured[subject].map(Math.round));
    const figure: Figure = { scenario, subject, value: Math.round(median(measured[subject])), unit: 'events/s' };
    figures.push(figure);
    console.log(JSON.stringify({ ...figure, runs: measured[subject].map(Math.round) }));
  }
  const paired = Math.round(median(measured.projection.map((p, i) => p / (measured.raw[i] as number))) * 100) / 100;
  const projection = median(measured.projection);
  console.log(JSON.stringify({ scenario, pairedRatio: paired }));
  pairedRatios.push({ scenario, pairedRatio: paired });
  if (!judged) return;
  judgements.push({ scenario, what: 'projection events/s', value: Math.round(projection), target: `≥ ${TARGETS.eventsPerSecond}`, result: projection >= TARGETS.eventsPerSecond ? 'PASS' : 'FAIL' });
  judgements.push({ scenario, what: 'projection ÷ raw (paired)', value: paired, target: `≥ ${TARGETS.ratio}`, result: paired >= TARGETS.ratio ? 'PASS' : 'FAIL' });
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0;
  const only = values.only;
  const wanted = (what: string): boolean => only === undefined || only === what;

  if (wanted('no-sink')) {
    // No sink, offsets in memory: what the runtime itself costs per event (reported, not judged).
    const envelopes = syntheticEnvelopes(COUNTS.noSink, COUNTS.stations);
    await pair('at-least-once-no-sink', ROUNDS.noSink, { projection: () => noSinkProjection(envelopes, COUNTS.batch), raw: () => noSinkRaw(envelopes, COUNTS.batch) }, false);
  }

  if (wanted('sqlite')) {
    const envelopes = syntheticEnvelopes(COUNTS.sqlite, COUNTS.stations);
    await pair('at-least-once-sqlite', ROUNDS.sqlite, { projection: () => sqliteProjection(envelopes, COUNTS.batch), raw: () => sqliteRaw(envelopes, COUNTS.batch) });
  }

  if (wanted('cassandra')) {
    const contactPoints = (process.env.TROUPE_CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042').split(',');
    const client = new cassandra.Client({ contactPoints, localDataCenter: 'datacenter1' });
    const keyspace = `bench_projection_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    try {
      await CassandraOffsetStore.create({ client, keyspace });
      await createCassandraTables(client, keyspace, 'reading_projection');
      await createCassandraTables(client, keyspace, 'reading_raw');
      const envelopes = syntheticEnvelopes(COUNTS.cassandra, COUNTS.stations);
      await pair('at-least-once-cassandra', ROUNDS.cassandra, {
        projection: () => cassandraProjection(client, keyspace, 'reading_projection', envelopes, COUNTS.batch),
        raw: () => cassandraRaw(client, keyspace, 'reading_raw', envelopes, COUNTS.batch),
      });
    } finally {
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
      await client.shutdown();
    }
  }

  const loads: (LoadRunResult & { scenario: string })[] = [];
  if (wanted('end-to-end')) {
    for (const [readings, rate, chunk] of LOAD_RUNS) {
      const scenario = `end-to-end-kafka-cassandra-${readings === undefined ? 'all' : readings}-readings-${rate === 0 ? 'max-rate' : `${rate}-per-s`}-uploads-of-${chunk}`;
      const result = await loadRun(readings, rate, chunk);
      console.log(JSON.stringify({ scenario, ...result }));
      loads.push({ scenario, ...result });
      figures.push(
        { scenario, subject: 'projection', value: result.ingestRate, unit: 'readings/s ingested' },
        { scenario, subject: 'projection', value: result.endToEndRate, unit: 'readings/s into the read model' },
        { scenario, subject: 'projection', value: result.lagMs.p50, unit: 'ms lag p50' },
        { scenario, subject: 'projection', value: result.lagMs.p99, unit: 'ms lag p99' },
      );
      if (rate === TARGETS.atRate) {
        // The target is the lag at that rate: a run whose ingest did not reach it (within 5%) does not meet it, whatever its lag.
        const reached = result.ingestRate >= TARGETS.atRate * 0.95;
        judgements.push({ scenario, what: 'ingested readings/s', value: result.ingestRate, target: `≥ ${TARGETS.atRate * 0.95} (the rate of the lag target)`, result: reached ? 'PASS' : 'FAIL' });
        judgements.push({
          scenario,
          what: 'lag p99 (ms)',
          value: result.lagMs.p99,
          target: `≤ ${TARGETS.lagP99Ms} at ${TARGETS.atRate}/s`,
          result: reached && result.lagMs.p99 <= TARGETS.lagP99Ms ? 'PASS' : 'FAIL',
        });
      }
    }
  }

  console.log(`\n${'scenario'.padEnd(WIDTH)}subject        value  unit`);
  for (const f of figures) console.log(`${f.scenario.padEnd(WIDTH)}${f.subject.padEnd(11)}${f.value.toLocaleString('en-US').padStart(9)}  ${f.unit}`);
  console.log('');
  for (const j of judgements) console.log(`${j.scenario.padEnd(WIDTH)}${j.what.padEnd(28)}${String(j.value).padStart(9)}  ${j.target}  ${j.result}`);
  if (only !== undefined) return;

  const header = {
    type: 'header',
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    date: new Date().toISOString(),
    servers: 'single-node Apache Kafka 3.9.1 and Apache Cassandra 5.0.6 on 127.0.0.1 (scripts/services), same machine',
    statistic: `throughput pairs: median of ${ROUNDS.noSink} (no sink) / ${ROUNDS.sqlite} (sqlite) / ${ROUNDS.cassandra} (cassandra) rounds after 1 warm-up per subject, subjects in turn each round; end to end: one run each`,
    loadAverage1m: { before: Math.round(loadBefore * 100) / 100, after: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
    counts: { ...COUNTS, loadRuns: LOAD_RUNS.map(([readings, rate, chunk]) => ({ readings: readings ?? 'all (395,453)', warmup: 5000, offeredRate: rate, linesPerUpload: chunk })) },
  };
  const file = fileURLToPath(new URL('../../results/projection.json', import.meta.url));
  await mkdir(fileURLToPath(new URL('../../results/', import.meta.url)), { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify([header, ...figures, ...pairedRatios.map((r) => ({ type: 'ratio', ...r })), ...judgements.map((j) => ({ type: 'target', ...j })), ...loads.map((l) => ({ type: 'load-run', ...l })), { type: 'runs', ...Object.fromEntries(runs) }], null, 2)}\n`,
  );
  console.log(`\nwrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
