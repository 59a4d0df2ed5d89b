/**
 * Spark local[2] (analytics/spark) beside Troupe's own readers on the same journal data, in
 * one run: rows/s reading every event of a Cassandra journal (`CassandraJournal.eventTable()`
 * vs the DataStax Spark connector) and of a Kafka event topic (`eventStream()` vs Spark's
 * Kafka source), each decoding every event's JSON and summing a field, at 10,000, 100,000
 * and 1,000,000 rows; plus Spark's start-up and the crossover (the rows above which Spark,
 * start-up included, is faster). Data is written by `analytics-data.ts` (raw clients, the
 * journals' exact layout). Needs the running Kafka and Cassandra (`scripts/services start`);
 * installs analytics/spark through its setup.sh. Prints JSON lines and a table; writes
 * bench/results/analytics.json (unless --sizes or --quick is given).
 *
 *   node --max-old-space-size=8192 dist/analytics/run-analytics-bench.js [--sizes 10000,100000] [--quick] [--keep] [--reuse <run id>]
 *
 * `--keep` leaves the keyspaces and topics (named after the run id it prints) for a later
 * `--reuse <run id>`, which skips writing them.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import { CassandraJournal } from '@troupe/persistence-cassandra';
import { eventStream } from '@troupe/persistence-kafka';
import cassandra from 'cassandra-driver';
import { platformaticProducer, waitForTopics } from '../kafka/raw-clients.js';
import { PERSISTENCE_IDS, amountOf, seedCassandra, seedKafka } from './analytics-data.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const SIZES = (option('sizes') ?? (quick ? '10000,50000' : '10000,100000,1000000')).split(',').map(Number);
const writeResults = option('sizes') === undefined && !quick;
/** Warm Spark reads and Troupe reads per size (one at 1,000,000 rows and above, to bound the run); the median is reported. */
const runsFor = (rows: number): number => (rows >= 1_000_000 ? 1 : 3);
const KAFKA_PARTITIONS = 2;
const contactPoint = (process.env.TROUPE_CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042').split(',')[0]!;
const brokers = (process.env.TROUPE_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SPARK_DIR = join(REPO, 'analytics/spark');
const SPARK_BENCH = join(REPO, 'bench/src/analytics/spark_read_bench.py');
const reuse = option('reuse');
const run = reuse ?? randomUUID().replaceAll('-', '').slice(0, 8);

interface Figure {
  readonly scenario: string;
  readonly subject: string;
  readonly value: number | null;
  readonly unit: string;
}
const figures: Figure[] = [];
const record = (figure: Figure): void => {
  figures.push(figure);
  console.log(JSON.stringify(figure));
};
/** The largest V8 heap seen while a Troupe reader ran, in MiB (sampled every 10,000 rows). */
let peakHeapMiB = 0;
const sampleHeap = (count: number): void => {
  if (count % 10_000 === 0) peakHeapMiB = Math.max(peakHeapMiB, process.memoryUsage().heapUsed / 2 ** 20);
};
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Runs a command to its end; resolves with its stdout, rejects with the tail of its output. */
function exec(command: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}:\n${err.split('\n').slice(-40).join('\n')}`))));
  });
}

interface SparkRead {
  readonly rows: number;
  readonly first_s: number;
  readonly warm_s: number[];
  readonly rows_read: number;
  readonly amount: number;
}

/** One Spark process reading each source in turn (smallest first): its start-up and every read's times. */
async function sparkReads(reads: readonly Record<string, unknown>[]): Promise<{ session_s: number; reads: SparkRead[] }> {
  const env: NodeJS.ProcessEnv = { ...process.env, SPARK_LOCAL_IP: '127.0.0.1' };
  for (const line of (await exec(join(SPARK_DIR, 'setup.sh'), ['--env'])).split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
  }
  const spec = join(mkdtempSync(join(tmpdir(), 'troupe-analytics-bench-')), 'spec.json');
  writeFileSync(spec, JSON.stringify({ cassandra: contactPoint, kafka: brokers.join(','), reads }));
  const lines = (await exec(env['PYTHON']!, [SPARK_BENCH, spec], env))
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { session_s: lines[0]!['session_s'] as number, reads: lines.slice(1) as unknown as SparkRead[] };
}

/** Troupe's eventTable over the keyspace: seconds to read and decode every row. */
async function troupeCassandra(client: cassandra.Client, keyspace: string, rows: number): Promise<number> {
  const journal = new CassandraJournal({ client, keyspace, createSchema: false });
  const t0 = performance.now();
  let count = 0;
  let amount = 0;
  for await (const { event } of journal.eventTable({ parallelism: 8 })) {
    amount += (JSON.parse(Buffer.from(event.payload).toString('utf8')) as { amount: number }).amount;
    sampleHeap(++count);
  }
  const seconds = (performance.now() - t0) / 1000;
  await journal.close();
  if (count !== rows || amount !== amountOf(rows)) throw new Error(`eventTable read ${count} rows (amount ${amount}) of ${rows}`);
  return seconds;
}

/**
 * Troupe's eventStream over the topic from the earliest offset, in a new consumer group:
 * seconds until every event was seen and decoded. Delivery is at least once (a rebalance
 * under load redelivers from the last commit), so events are counted once by (id, number).
 */
async function troupeKafka(topic: string, rows: number): Promise<number> {
  const seen = new Set<string>();
  const t0 = performance.now();
  let amount = 0;
  let delivered = 0;
  for await (const event of eventStream({ brokers, groupId: `bench-analytics-${randomUUID()}`, topics: [topic], createTopics: false })) {
    const value = (JSON.parse(Buffer.from(event.payload).toString('utf8')) as { amount: number }).amount;
    sampleHeap(++delivered);
    const key = `${event.persistenceId}#${event.sequenceNr}`;
    if (seen.has(key)) continue;
    seen.add(key);
    amount += value;
    if (seen.size === rows) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (amount !== amountOf(rows)) throw new Error(`eventStream read ${seen.size} events (amount ${amount}) of ${rows}`);
  if (delivered > rows) console.error(`eventStream delivered ${delivered - rows} of ${rows} events twice (at least once)`);
  return seconds;
}

/** Spark's timings as measured, kept in the results file beside the figures. */
const sparkTimings: Record<string, unknown> = {};

/**
 * Records the figures of one source: every size's rates, Spark's start-up, the crossover.
 * Start-up = the session's start plus what the first read of the smallest size cost above a
 * warm one (the connector's and the JVM's warm-up); a cold read of any size = start-up + a
 * warm read of that size, the time a fresh Spark job of that size takes.
 */
function report(source: 'cassandra' | 'kafka', troupeSubject: string, troupe: Map<number, number>, spark: { session_s: number; reads: SparkRead[] }): void {
  sparkTimings[source] = spark;
  const smallest = spark.reads[0]!;
  const startUp = spark.session_s + smallest.first_s - median(smallest.warm_s);
  for (const read of spark.reads) {
    if (read.rows_read !== read.rows || read.amount !== amountOf(read.rows)) throw new Error(`Spark read ${read.rows_read} rows (amount ${read.amount}) of ${read.rows} from ${source}`);
    const scenario = `${source}-read-${read.rows}`;
    record({ scenario, subject: troupeSubject, value: Math.round(read.rows / troupe.get(read.rows)!), unit: 'rows/s' });
    record({ scenario, subject: 'spark-local[2]-warm', value: Math.round(read.rows / median(read.warm_s)), unit: 'rows/s' });
    record({ scenario, subject: 'spark-local[2]-cold', value: Math.round(read.rows / (startUp + median(read.warm_s))), unit: 'rows/s' });
  }
  record({ scenario: `${source}-spark-start-up`, subject: 'spark-local[2]', value: Number(startUp.toFixed(2)), unit: 's' });
  // Crossover from the largest size's rates: troupe(N) = N / rt, spark(N) = startUp + N / rs.
  const largest = spark.reads[spark.reads.length - 1]!;
  const rt = largest.rows / troupe.get(largest.rows)!;
  const rs = largest.rows / median(largest.warm_s);
  record({ scenario: `${source}-crossover`, subject: `spark-local[2]-vs-${troupeSubject}`, value: rs > rt ? Math.round(startUp / (1 / rt - 1 / rs)) : null, unit: 'rows' });
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  await exec(join(SPARK_DIR, 'setup.sh'), []);
  const client = new cassandra.Client({ contactPoints: [contactPoint], localDataCenter: 'datacenter1', socketOptions: { readTimeout: 60_000 } });
  const admin = new Admin({ clientId: 'bench-analytics', bootstrapBrokers: brokers });
  const producer = platformaticProducer(brokers);
  const keyspaces = SIZES.map((rows) => `bench_analytics_${rows}_${run}`);
  const topics = SIZES.map((rows) => `bench-analytics-${rows}-${run}`);
  try {
    console.error(`run id ${run}`);
    for (const [i, rows] of SIZES.entries()) {
      if (reuse !== undefined) break;
      const t0 = performance.now();
      await seedCassandra(client, keyspaces[i]!, rows);
      const t1 = performance.now();
      await admin.createTopics({ topics: [topics[i]!], partitions: KAFKA_PARTITIONS, replicas: 1 });
      await waitForTopics(admin, [topics[i]!]);
      await seedKafka(producer, topics[i]!, rows);
      console.error(`seeded ${rows} rows: Cassandra ${((t1 - t0) / 1000).toFixed(1)} s, Kafka ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    }
    const troupeC = new Map<number, number>();
    const troupeK = new Map<number, number>();
    for (const [i, rows] of SIZES.entries()) {
      const c: number[] = [];
      const k: number[] = [];
      peakHeapMiB = 0;
      for (let r = 0; r < runsFor(rows); r++) c.push(await troupeCassandra(client, keyspaces[i]!, rows));
      record({ scenario: `cassandra-read-${rows}`, subject: 'troupe-eventTable-peak-heap', value: Math.round(peakHeapMiB), unit: 'MiB' });
      peakHeapMiB = 0;
      for (let r = 0; r < runsFor(rows); r++) k.push(await troupeKafka(topics[i]!, rows));
      record({ scenario: `kafka-read-${rows}`, subject: 'troupe-eventStream-peak-heap', value: Math.round(peakHeapMiB), unit: 'MiB' });
      troupeC.set(rows, median(c));
      troupeK.set(rows, median(k));
    }
    const sparkC = await sparkReads(SIZES.map((rows, i) => ({ source: 'cassandra', keyspace: keyspaces[i], rows, warm_runs: runsFor(rows) })));
    const sparkK = await sparkReads(SIZES.map((rows, i) => ({ source: 'kafka', topic: topics[i], rows, warm_runs: runsFor(rows) })));
    report('cassandra', 'troupe-eventTable', troupeC, sparkC);
    report('kafka', 'troupe-eventStream', troupeK, sparkK);
  } finally {
    if (!args.includes('--keep')) {
      for (const keyspace of keyspaces) await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
      await admin.deleteTopics({ topics }).catch(() => undefined);
    }
    await producer.close();
    await admin.close();
    await client.shutdown();
  }
  const header = {
    type: 'header',
    node: process.version,
    cpu: cpus()[0]?.model,
    cpus: cpus().length,
    date: new Date().toISOString(),
    servers: 'single-node Kafka 3.9.1 and Cassandra 5.0.6 from scripts/services on the same machine',
    spark: 'pyspark 3.5.7, local[2], spark-cassandra-connector 3.5.1, spark-sql-kafka-0-10 3.5.7, JDK 17',
    data: `${PERSISTENCE_IDS} persistence ids, JSON events {"type":"deposited","amount":n}; Kafka event topics of ${KAFKA_PARTITIONS} partitions`,
    statistic: 'median of 3 runs per reader and size below 1,000,000 rows, 1 run at 1,000,000 (Spark: warm runs in one session; cold = start-up + warm read)',
    sparkTimingsSeconds: sparkTimings,
    loadAverage1m: { before: loadBefore, after: loadavg()[0] },
  };
  console.table(figures);
  if (writeResults) writeFileSync(join(REPO, 'bench/results/analytics.json'), `${JSON.stringify([header, ...figures], null, 2)}\n`);
}

await main();
