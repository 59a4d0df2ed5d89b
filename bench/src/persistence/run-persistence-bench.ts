import { cpus } from 'node:os';
import { MEASURED_RUNS, STATISTIC, type Sample, measureInterleaved } from '../core/measurement.js';
import { type Figure, type ResultsHeader, type Subject, formatJsonLines, formatTable, writeResults } from '../core/report.js';
import { BenchDirectory, DURABILITY, type JournalKind, type JournalStore, freshStore } from './journal-kinds.js';
import { MapPersistenceEngine } from './nact-map-engine.js';
import { journalPerfSpec } from './journal-perf-spec.js';
import { nactPersist, troupePersist } from './persist-throughput.js';
import { type TargetResult, checkTargets, formatTargets } from './persistence-targets.js';
import { rawPersist, rawReplay } from './raw-journal-baseline.js';
import { fillNactEngine, fillTroupeStore, nactRecover, troupeRecover } from './recovery-speed.js';

/**
 * Persistence benchmarks: Troupe's `PersistentActor` on the in-memory journal and on the
 * embedded SQLite journal (`synchronous: 'normal'` and `'full'`), nact's persistent actor
 * on a fast in-memory engine (`MapPersistenceEngine`, written here: nact ships none), and
 * the raw journal SPI without actors, side by side in one process run.
 * Usage: node --expose-gc dist/persistence/run-persistence-bench.js [--only <text>]
 * (`--only` runs the cases whose "scenario subject" contains the text and writes no results file).
 *
 * The subjects of one scenario form one group whose measured runs alternate (Troupe,
 * nact, raw, Troupe, …), so on a busy machine they share its load. Counts differ per
 * journal so that every run takes about a second; every figure is a rate. Each rate
 * comes with events per CPU-second of this process (see `Stopwatch`), and Troupe's
 * persist runs with the mean atomic writes per journal call (group commit at work).
 * SQLite runs start from an empty file, so a 1,000-actor run measures a journal growing
 * from 0 to 50,000 rows (see BENCHMARKS.md, section Persistence: the cost per event grows with the rows per id).
 */

const ACTORS = 1000;
const RECOVERY_EVENTS = 100_000;
const RECOVERY_ID = 'recovering-counter';
const RATE_UNIT = 'events/s';
const CPU_RATE_UNIT = 'events/cpu-s';

/** Events per run, per journal: `one` for the single actor, `perActor` for each of the 1,000. */
interface Counts {
  readonly one: number;
  readonly perActor: number;
  readonly nactOne: number;
  readonly nactPerActor: number;
}

const COUNTS: Readonly<Record<JournalKind, Counts>> = {
  'in-memory': { one: 200_000, perActor: 200, nactOne: 100_000, nactPerActor: 100 },
  'sqlite-normal': { one: 10_000, perActor: 50, nactOne: 0, nactPerActor: 0 },
  'sqlite-full': { one: 1_000, perActor: 50, nactOne: 0, nactPerActor: 0 },
};

/** One subject in one scenario: `run` returns `rate` and `cpuRate` (and Troupe's persist runs also `writesPerCall`). */
interface Case {
  readonly scenario: string;
  readonly subject: Subject;
  readonly events: number;
  readonly run: () => Promise<Sample>;
}

/** The subjects of one scenario, measured interleaved; `prepare` runs before, `finish` after (untimed). */
interface CaseGroup {
  readonly cases: readonly Case[];
  readonly prepare?: () => Promise<void>;
  readonly finish?: () => Promise<void>;
}

function groupsFor(kind: JournalKind, directory: BenchDirectory): CaseGroup[] {
  const counts = COUNTS[kind];
  const inMemory = kind === 'in-memory';
  const one = `persist-1-actor-${kind}`;
  const many = `persist-${ACTORS}-actors-${kind}`;
  const recover = `recover-100k-events-${kind}`;
  const fresh = (): JournalStore => freshStore(kind, directory);

  const persistOne: Case[] = [
    { scenario: one, subject: 'troupe', events: counts.one, run: () => troupePersist(fresh(), 1, counts.one) },
    ...(inMemory ? [{ scenario: one, subject: 'nact' as const, events: counts.nactOne, run: () => nactPersist(1, counts.nactOne) }] : []),
    { scenario: one, subject: 'raw', events: counts.one, run: () => rawPersist(fresh(), 1, counts.one) },
  ];
  const persistMany: Case[] = [
    { scenario: many, subject: 'troupe', events: ACTORS * counts.perActor, run: () => troupePersist(fresh(), ACTORS, counts.perActor) },
    ...(inMemory ? [{ scenario: many, subject: 'nact' as const, events: ACTORS * counts.nactPerActor, run: () => nactPersist(ACTORS, counts.nactPerActor) }] : []),
    { scenario: many, subject: 'raw', events: ACTORS * counts.perActor, run: () => rawPersist(fresh(), ACTORS, counts.perActor) },
  ];

  const stored = fresh();
  const engine = new MapPersistenceEngine();
  const recovery: CaseGroup = {
    cases: [
      { scenario: recover, subject: 'troupe', events: RECOVERY_EVENTS, run: () => troupeRecover(stored, RECOVERY_ID, RECOVERY_EVENTS) },
      ...(inMemory ? [{ scenario: recover, subject: 'nact' as const, events: RECOVERY_EVENTS, run: () => nactRecover(engine, RECOVERY_ID, RECOVERY_EVENTS) }] : []),
      { scenario: recover, subject: 'raw', events: RECOVERY_EVENTS, run: () => rawReplay(stored, RECOVERY_ID, RECOVERY_EVENTS) },
    ],
    prepare: async () => {
      await fillTroupeStore(stored, RECOVERY_ID, RECOVERY_EVENTS);
      if (inMemory) fillNactEngine(engine, RECOVERY_ID, RECOVERY_EVENTS);
    },
    finish: () => stored.dispose(),
  };
  return [{ cases: persistOne }, { cases: persistMany }, recovery];
}

const KINDS: readonly JournalKind[] = ['in-memory', 'sqlite-normal', 'sqlite-full'];

function onlyFilter(argv: readonly string[]): string | undefined {
  const index = argv.indexOf('--only');
  if (index < 0) return undefined;
  const text = argv[index + 1];
  if (text === undefined) throw new TypeError('--only needs a value, e.g. --only persist-1000-actors-in-memory');
  return text;
}

/** Where and how the figures were taken, plus each journal's durability and the targets' outcome. */
interface PersistenceResultsHeader extends ResultsHeader {
  readonly journals: Readonly<Record<string, string>>;
  readonly nactEngine: string;
  readonly raw: string;
  readonly targets: readonly TargetResult[];
}

async function measure(groups: readonly CaseGroup[], figures: Figure[], counts: Record<string, Partial<Record<Subject, number>>>): Promise<void> {
  for (const group of groups) {
    const groupStart = performance.now();
    await group.prepare?.();
    let samples: Sample[];
    try {
      samples = await measureInterleaved(group.cases.map((entry) => entry.run));
    } finally {
      await group.finish?.();
    }
    const seconds = ((performance.now() - groupStart) / 1000).toFixed(1);
    for (const [index, entry] of group.cases.entries()) {
      const sample = samples[index] as Sample;
      const rate = sample.rate;
      if (rate === undefined) throw new Error(`${entry.scenario} ${entry.subject}: the run reported no rate`);
      (counts[entry.scenario] ??= {})[entry.subject] = entry.events;
      figures.push({ scenario: entry.scenario, subject: entry.subject, value: rate, unit: RATE_UNIT });
      let line = `${Math.round(rate).toLocaleString('en-US')} ${RATE_UNIT}`;
      if (sample.cpuRate !== undefined) {
        figures.push({ scenario: `${entry.scenario}-per-cpu-second`, subject: entry.subject, value: sample.cpuRate, unit: CPU_RATE_UNIT });
        line += `, ${Math.round(sample.cpuRate).toLocaleString('en-US')} ${CPU_RATE_UNIT}`;
      }
      if (sample.writesPerCall !== undefined) {
        figures.push({ scenario: `${entry.scenario}-batch`, subject: entry.subject, value: sample.writesPerCall, unit: 'writes/call' });
        line += `, ${sample.writesPerCall.toFixed(1)} writes per journal call`;
      }
      process.stderr.write(`# ${entry.subject.padEnd(6)} ${entry.scenario} (n=${entry.events}): ${line} [group ${seconds} s]\n`);
    }
  }
}

async function main(): Promise<void> {
  const only = onlyFilter(process.argv.slice(2));
  const began = performance.now();
  const directory = await BenchDirectory.create();
  const figures: Figure[] = [];
  const counts: Record<string, Partial<Record<Subject, number>>> = {};
  try {
    const groups = KINDS.flatMap((kind) => groupsFor(kind, directory))
      .map((group) => ({ ...group, cases: group.cases.filter((entry) => only === undefined || `${entry.scenario} ${entry.subject}`.includes(only)) }))
      .filter((group) => group.cases.length > 0);
    await measure(groups, figures, counts);
    if (only === undefined || only.startsWith('journal-perf')) {
      for (const kind of KINDS) figures.push(...(await journalPerfSpec(freshStore(kind, directory))));
    }
  } finally {
    await directory.remove();
  }

  const targets = checkTargets(figures, RATE_UNIT);
  const cpuList = cpus();
  const header: PersistenceResultsHeader = {
    type: 'header',
    node: process.version,
    cpu: cpuList[0]?.model ?? 'unknown',
    cpus: cpuList.length,
    date: new Date().toISOString(),
    statistic: `${STATISTIC} of ${MEASURED_RUNS} runs after 1 warm-up run (the subjects of a scenario interleaved)`,
    counts,
    journals: DURABILITY,
    nactEngine:
      'MapPersistenceEngine (bench/src/persistence/nact-map-engine.ts): a Map of arrays, O(1) append, binary-searched range read, events kept as objects (no serialisation); nact ships no such engine',
    raw: 'the same Troupe journal driven through its SPI with no actors: JSON-encoded events, one atomic write per id, all ids in one writeMessages call; replay decodes every payload',
    targets,
  };
  process.stdout.write(`\nTroupe persistence benchmarks — node ${header.node}, ${header.cpu} (${header.cpus} CPUs), ${header.statistic}\n\n`);
  process.stdout.write(`${formatTable(figures)}\n\n${formatTargets(targets)}\n\n`);
  process.stdout.write(`${formatJsonLines(figures)}\n`);
  if (only === undefined) {
    const path = await writeResults(new URL('../../results/persistence.json', import.meta.url), header, figures);
    process.stderr.write(`# wrote ${path} in ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
  }
}

await main();
