/**
 * Cassandra persistence benchmark: Troupe's CassandraJournal beside the raw cassandra-driver
 * doing the same work, in one process run. Needs a running Cassandra (`scripts/services
 * start cassandra`); reads TROUPE_CASSANDRA_CONTACT_POINTS (default 127.0.0.1:19042).
 * Prints one JSON line per figure and a table; writes bench/results/cassandra.json.
 * Bounded: fixed event counts, one warm-up plus 7 measured rounds per case, subjects in turn.
 * Write cases: Troupe (conditional writes, the default), Troupe with unsafeUnconditionalWrites,
 * raw plain inserts, raw INSERT … IF NOT EXISTS; recovery: Troupe and raw.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CassandraJournal } from '@troupe/persistence-cassandra';
import cassandra from 'cassandra-driver';
import { type BenchContext, journalPerformance, rawRecovery, rawWrites, seedHistory, troupeRecovery, troupeWrites } from './cassandra-bench-cases.js';

const RUNS = 7;
const COUNTS = { oneActor: 2000, manyActors: 1000, perActor: 20, recovery: 100_000, journalPerf: 2000 } as const;
const RAW_FETCH_SIZE = 5000; // the driver's default fetch size, and the journal's default replayPageSize

/**
 * Who ran: Troupe with its default conditional (fenced) writes, Troupe with
 * `unsafeUnconditionalWrites` (plain inserts, as before fencing), the raw driver's plain
 * inserts, and the raw driver's `INSERT … IF NOT EXISTS` (one lightweight transaction each).
 */
type Subject = 'troupe' | 'troupe-unsafe' | 'raw' | 'raw-lwt';

interface Figure {
  readonly scenario: string;
  readonly subject: Subject;
  readonly value: number;
  readonly unit: 'events/s';
}

/** One ratio of two subjects per scenario: of the medians, and the median of the per-round ratios (robust to drift). */
interface Ratio {
  readonly scenario: string;
  readonly of: string;
  readonly ratioOfMedians: number;
  readonly medianPairedRatio: number;
  /** Judged ratios carry the target; the others are reported only. */
  readonly target?: number;
  readonly result?: 'PASS' | 'FAIL';
}

const allRuns = new Map<string, number[]>();

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** One warm-up each, then RUNS rounds, each running every subject once in turn; the median of each. */
async function sideBySide(scenario: string, subjects: Partial<Record<Subject, () => Promise<number>>>): Promise<Figure[]> {
  const entries = Object.entries(subjects) as [Subject, () => Promise<number>][];
  for (const [, run] of entries) await run();
  const values = new Map<Subject, number[]>(entries.map(([subject]) => [subject, []]));
  for (let i = 0; i < RUNS; i++) for (const [subject, run] of entries) values.get(subject)!.push(await run());
  const figures: Figure[] = [];
  for (const [subject, runs] of values) {
    allRuns.set(`${scenario}/${subject}`, runs);
    const figure: Figure = { scenario, subject, value: Math.round(median(runs)), unit: 'events/s' };
    figures.push(figure);
    console.log(JSON.stringify({ ...figure, runs: runs.map(Math.round) }));
  }
  return figures;
}

/** `a ÷ b` for one scenario, from the medians and paired by round. */
function ratio(scenario: string, a: Subject, b: Subject, target?: number): Ratio | undefined {
  const ra = allRuns.get(`${scenario}/${a}`);
  const rb = allRuns.get(`${scenario}/${b}`);
  if (ra === undefined || rb === undefined) return undefined;
  const round2 = (value: number): number => Math.round(value * 100) / 100;
  const paired = round2(median(ra.map((value, i) => value / (rb[i] as number))));
  const base: Ratio = { scenario, of: `${a} ÷ ${b}`, ratioOfMedians: round2(median(ra) / median(rb)), medianPairedRatio: paired };
  // Judged on the paired ratio: each round ran back to back under the same machine load,
  // which on a shared box moves both subjects by more than the difference between them.
  return target === undefined ? base : { ...base, target, result: paired >= target ? 'PASS' : 'FAIL' };
}

async function main(): Promise<void> {
  const contactPoints = (process.env.TROUPE_CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042').split(',');
  const localDataCenter = process.env.TROUPE_CASSANDRA_LOCAL_DC ?? 'datacenter1';
  const loadBefore = loadavg()[0] ?? 0;
  const keyspace = `bench_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  // Creates the keyspace and tables (createSchema) before anything is timed.
  const setup = await CassandraJournal.connect({ contactPoints, localDataCenter, keyspace });
  await setup.close();
  const raw = new cassandra.Client({ contactPoints, localDataCenter });
  await raw.connect();
  const ctx: BenchContext = { keyspace, contactPoints, localDataCenter, raw };
  const figures: Figure[] = [];
  try {
    for (const [scenario, writers, perWriter] of [
      ['write-1-actor', 1, COUNTS.oneActor],
      ['write-1000-actors', COUNTS.manyActors, COUNTS.perActor],
    ] as const) {
      figures.push(
        ...(await sideBySide(scenario, {
          troupe: () => troupeWrites(ctx, writers, perWriter),
          'raw-lwt': () => rawWrites(ctx, writers, perWriter, true),
          'troupe-unsafe': () => troupeWrites(ctx, writers, perWriter, 'unsafe'),
          raw: () => rawWrites(ctx, writers, perWriter),
        })),
      );
    }
    // The TCK's performance section, without actors: the journal alone, conditional and unsafe.
    // (Its replay of 2,000 events is too short to time; recovery-100k measures replay.)
    const perf = (mode: 'conditional' | 'unsafe') => async (): Promise<number> => (await journalPerformance(ctx, COUNTS.journalPerf, mode)).writeEventsPerSec;
    figures.push(...(await sideBySide('tck-journal-perf-write', { troupe: perf('conditional'), 'troupe-unsafe': perf('unsafe') })));
    const pid = await seedHistory(ctx, COUNTS.recovery);
    figures.push(...(await sideBySide('recovery-100k', { troupe: () => troupeRecovery(ctx, pid, COUNTS.recovery), raw: () => rawRecovery(ctx, pid, COUNTS.recovery, RAW_FETCH_SIZE) })));
  } finally {
    await raw.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await raw.shutdown();
  }

  const scenarios = [...new Set(figures.map((f) => f.scenario))];
  const ratios = scenarios.flatMap((scenario) =>
    [
      // Like for like: both refuse to overwrite a stored event (one LWT per write).
      ratio(scenario, 'troupe', 'raw-lwt', 0.8),
      // The journal before fencing against the raw plain inserts: the previous target.
      ratio(scenario, 'troupe-unsafe', 'raw', 0.8),
      // What fencing costs the journal, and what safety costs at all.
      ratio(scenario, 'troupe', 'troupe-unsafe'),
      ratio(scenario, 'troupe', 'raw', scenario === 'recovery-100k' ? 0.8 : undefined),
    ].filter((r): r is Ratio => r !== undefined),
  );
  console.log('');
  console.log('scenario                subject              events/s');
  for (const f of figures) console.log(`${f.scenario.padEnd(24)}${f.subject.padEnd(16)}${f.value.toLocaleString('en-US').padStart(13)}`);
  console.log('');
  console.log('scenario                ratio                      of medians  paired÷  (targets judged on paired÷)');
  for (const r of ratios) {
    console.log(
      `${r.scenario.padEnd(24)}${r.of.padEnd(27)}${`${r.ratioOfMedians.toFixed(2)}×`.padStart(10)}${`${r.medianPairedRatio.toFixed(2)}×`.padStart(9)}  ${r.result === undefined ? '' : `${r.result} (≥ ${r.target}×)`}`,
    );
  }

  const header = {
    type: 'header',
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    date: new Date().toISOString(),
    server: 'single-node Apache Cassandra 5.0.6 on 127.0.0.1 (scripts/services), same machine, 1 GiB heap',
    statistic: `median of ${RUNS} rounds after 1 warm-up run per subject; each round runs every subject once, in turn`,
    consistency: 'QUORUM (single node) for both; lightweight transactions with serial consistency SERIAL',
    // The machine is shared (Cassandra's and Kafka's JVMs, other work): the 1-minute load
    // average shows how busy it was; the spread of the runs is printed with each figure.
    loadAverage1m: { before: Math.round(loadBefore * 100) / 100, after: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
    counts: {
      'write-1-actor': { events: COUNTS.oneActor, writers: 1 },
      'write-1000-actors': { events: COUNTS.manyActors * COUNTS.perActor, writers: COUNTS.manyActors, perWriter: COUNTS.perActor },
      'recovery-100k': { events: COUNTS.recovery, rawFetchSize: RAW_FETCH_SIZE },
      'tck-journal-perf-write': { events: COUNTS.journalPerf, eventsPerWrite: 1, via: 'measureJournalPerformance of @troupe/persistence/tck' },
    },
  };
  const file = fileURLToPath(new URL('../../results/cassandra.json', import.meta.url));
  await mkdir(fileURLToPath(new URL('../../results/', import.meta.url)), { recursive: true });
  const runs = Object.fromEntries([...allRuns].map(([key, values]) => [key, values.map(Math.round)]));
  await writeFile(file, `${JSON.stringify([header, ...figures, ...ratios.map((r) => ({ type: 'ratio', ...r })), { type: 'runs', ...runs }], null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
