/**
 * Sharding benchmarks: a sharded tell beside a direct tell to the same kind of actor,
 * locally and across two processes, in one run; activation rate and first-message
 * latency (plain and persistent on the embedded SQLite journal); heap per idle active
 * entity; failover after SIGKILL of one of 3 member processes (package defaults and
 * the tests' tuned settings); a 4th member joining 3 with 1,000 shards.
 * Usage: node --expose-gc dist/sharding/run-sharding-bench.js [--only <section>] [--entities N]
 * (`--only` runs one section and writes no results file; `--entities` sets the heap
 * section's entity count, default 100,000: `--only heap --entities 1000000` checks
 * whether a million active entities fit on one node).
 *
 * Bounded: fixed counts, per-scenario deadlines, and a watchdog that ends the run (and,
 * through the harness, every child process) after WATCHDOG_MS.
 */
import { cpus, loadavg } from 'node:os';
import { MEASURED_RUNS, STATISTIC, type Sample, collectGarbage, measureInterleaved } from '../core/measurement.js';
import { type Figure, type ResultsHeader, type Subject, formatJsonLines, rounded, writeResults } from '../core/report.js';
import { activationRate, directSpawnRate, firstMessageLatency } from './activation.js';
import { type HeapRun, directHeap, shardedHeap } from './entity-heap.js';
import { failover } from './failover.js';
import { LocalNode, PERSISTENT, PLAIN } from './local-node.js';
import { localTargets, localTell } from './local-tell.js';
import { rebalance } from './rebalance.js';
import { RemoteShardingPair } from './remote-entity-tell.js';
import { checkTargets, formatShardingTable } from './sharding-report.js';

/** Ticks per local run: ~0.2–1 s per run on the 2-core box. */
const LOCAL_COUNT = 1_000_000;
const LOCAL_ENTITIES = [1, 100] as const;
const REMOTE_COUNT = 300_000;
/** Unmeasured remote ticks after each run's GC, so a run does not measure JIT re-warming (as in the cluster bench). */
const REMOTE_SETTLE = 30_000;
const BATCH = 1000;
const ACTIVATION_COUNT = 20_000;
const PERSISTENT_ACTIVATION_COUNT = 10_000;
const LATENCY_COUNT = 2000;
const PERSISTENT_LATENCY_COUNT = 1000;
const DEFAULT_HEAP_ENTITIES = 100_000;
const FAILOVER_ENTITIES = 300;
const REBALANCE_ENTITIES = 3000;
const WATCHDOG_MS = 12 * 60_000;

type Section = 'local' | 'remote' | 'activation' | 'heap' | 'failover' | 'rebalance';
const SECTIONS: readonly Section[] = ['local', 'remote', 'activation', 'heap', 'failover', 'rebalance'];

function option(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index < 0 ? undefined : argv[index + 1];
}

function onlySection(argv: readonly string[]): Section | undefined {
  if (!argv.includes('--only')) return undefined;
  const value = option(argv, '--only') as Section | undefined;
  if (value === undefined || !SECTIONS.includes(value)) throw new TypeError(`--only needs one of ${SECTIONS.join(', ')}`);
  return value;
}

function heapEntities(argv: readonly string[]): number {
  const value = option(argv, '--entities');
  if (value === undefined) return DEFAULT_HEAP_ENTITIES;
  const n = Number(value);
  if (!(Number.isInteger(n) && n > 0)) throw new TypeError(`--entities needs a positive integer, got ${value}`);
  return n;
}

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const figures: Figure[] = [];
const details: Record<string, unknown> = {};
const counts: Record<string, Partial<Record<Subject, number>>> = {};
const seconds = (began: number) => `[${((performance.now() - began) / 1000).toFixed(1)} s]`;

function add(scenario: string, subject: Subject, value: number, unit: string): void {
  figures.push({ scenario, subject, value, unit });
}

/** Every run (warm-up first) of every side-by-side scenario, to show the spread behind each median. */
const runs: Record<string, Record<string, number[]>> = {};

function keep(scenario: string, subject: Subject, sample: Sample): Sample {
  ((runs[scenario] ??= {})[subject] ??= []).push(rounded(sample.rate as number));
  return sample;
}

async function localSection(): Promise<void> {
  const node = await LocalNode.start();
  try {
    for (const entities of LOCAL_ENTITIES) {
      const began = performance.now();
      const scenario = `local-tell-${entities}-${entities === 1 ? 'entity' : 'entities'}`;
      const { sharded, direct } = await localTargets(node, entities, scenario);
      const [s, d] = (await measureInterleaved([
        async () => keep(scenario, 'sharded', await localTell(sharded, LOCAL_COUNT, BATCH)),
        async () => keep(scenario, 'direct', await localTell(direct, LOCAL_COUNT, BATCH)),
      ])) as [Sample, Sample];
      for (const ref of direct) node.cluster.system.stop(ref);
      add(scenario, 'sharded', s.rate as number, 'msgs/s');
      add(scenario, 'direct', d.rate as number, 'msgs/s');
      counts[scenario] = { sharded: LOCAL_COUNT, direct: LOCAL_COUNT };
      log(`${scenario}: sharded ${Math.round(s.rate as number)} direct ${Math.round(d.rate as number)} msgs/s (${((s.rate as number) / (d.rate as number)).toFixed(2)}×) ${seconds(began)}`);
    }
  } finally {
    await node.close();
  }
}

async function remoteSection(): Promise<void> {
  const pair = await RemoteShardingPair.start();
  const scenario = `remote-tell-batch-${BATCH}`;
  try {
    const began = performance.now();
    const recorded = (subject: Subject, run: (count: number) => Promise<Sample>) => async () => {
      await pair.collectRemoteGarbage();
      await run(REMOTE_SETTLE);
      return keep(scenario, subject, await run(REMOTE_COUNT));
    };
    const [s, d] = (await measureInterleaved([recorded('sharded', (n) => pair.sharded(n, BATCH)), recorded('direct', (n) => pair.direct(n, BATCH))])) as [Sample, Sample];
    add(scenario, 'sharded', s.rate as number, 'msgs/s');
    add(scenario, 'direct', d.rate as number, 'msgs/s');
    counts[scenario] = { sharded: REMOTE_COUNT, direct: REMOTE_COUNT };
    log(`${scenario}: sharded ${Math.round(s.rate as number)} direct ${Math.round(d.rate as number)} msgs/s (${((s.rate as number) / (d.rate as number)).toFixed(2)}×) ${seconds(began)}`);
  } finally {
    await pair.close();
  }
}

async function activationSection(): Promise<void> {
  const node = await LocalNode.start();
  try {
    let began = performance.now();
    let run = 0;
    const [plain, spawned] = (await measureInterleaved([
      async () => keep('activation-rate', 'sharded', await activationRate(node, PLAIN, ACTIVATION_COUNT, `rate-${run++}`)),
      async () => keep('activation-rate', 'direct', await directSpawnRate(node, ACTIVATION_COUNT)),
    ])) as [Sample, Sample];
    add('activation-rate', 'sharded', plain.rate as number, 'entities/s');
    add('activation-rate', 'direct', spawned.rate as number, 'entities/s');
    counts['activation-rate'] = { sharded: ACTIVATION_COUNT, direct: ACTIVATION_COUNT };
    log(`activation-rate: sharded ${Math.round(plain.rate as number)} entities/s, direct spawn ${Math.round(spawned.rate as number)}/s ${seconds(began)}`);

    began = performance.now();
    const [persistent] = (await measureInterleaved([
      async () => keep('activation-persistent-sqlite-rate', 'sharded', await activationRate(node, PERSISTENT, PERSISTENT_ACTIVATION_COUNT, `rate-${run++}`)),
    ])) as [Sample];
    add('activation-persistent-sqlite-rate', 'sharded', persistent.rate as number, 'entities/s');
    counts['activation-persistent-sqlite-rate'] = { sharded: PERSISTENT_ACTIVATION_COUNT };
    log(`activation-persistent-sqlite-rate: ${Math.round(persistent.rate as number)} entities/s ${seconds(began)}`);

    for (const [name, typeKey, count] of [
      ['activation-first-message', PLAIN, LATENCY_COUNT],
      ['activation-persistent-sqlite-first-message', PERSISTENT, PERSISTENT_LATENCY_COUNT],
    ] as const) {
      began = performance.now();
      collectGarbage();
      await firstMessageLatency(node, typeKey, Math.min(200, count), `${name}-warm`);
      collectGarbage();
      const sample = await firstMessageLatency(node, typeKey, count, name);
      add(`${name}-p50`, 'sharded', sample.p50 as number, 'ms');
      add(`${name}-p99`, 'sharded', sample.p99 as number, 'ms');
      counts[name] = { sharded: count };
      details[`${name}-max-ms`] = rounded(sample.max as number);
      log(`${name}: p50 ${(sample.p50 as number).toFixed(2)} p99 ${(sample.p99 as number).toFixed(2)} max ${(sample.max as number).toFixed(2)} ms ${seconds(began)}`);
    }
  } finally {
    await node.close();
  }
}

async function heapSection(entities: number): Promise<void> {
  const began = performance.now();
  const sharded: HeapRun = await shardedHeap(entities);
  const direct: HeapRun = await directHeap(entities);
  add('heap-per-idle-entity', 'sharded', sharded.bytesPerEntity, 'bytes');
  add('heap-per-idle-entity', 'direct', direct.bytesPerEntity, 'bytes');
  add(`heap-${entities}-entities-heap-used`, 'sharded', sharded.heapUsedBytes / 2 ** 20, 'MiB');
  add(`heap-${entities}-entities-activation-rate`, 'sharded', sharded.rate, 'entities/s');
  counts['heap-per-idle-entity'] = { sharded: entities, direct: entities };
  details.heap = { entities, sharded, direct, heapSizeLimitMiB: rounded((await import('node:v8')).getHeapStatistics().heap_size_limit / 2 ** 20) };
  log(
    `heap: ${entities} entities, sharded ${Math.round(sharded.bytesPerEntity)} B/entity (heap used ${Math.round(sharded.heapUsedBytes / 2 ** 20)} MiB, filled in ${(sharded.ms / 1000).toFixed(1)} s), direct ${Math.round(direct.bytesPerEntity)} B/actor ${seconds(began)}`,
  );
}

async function failoverSection(): Promise<void> {
  for (const [name, tuned] of [
    ['failover-defaults', false],
    ['failover-tuned', true],
  ] as const) {
    const began = performance.now();
    const run = await failover(FAILOVER_ENTITIES, tuned);
    add(`${name}-p50`, 'sharded', run.p50, 'ms');
    add(`${name}-p99`, 'sharded', run.p99, 'ms');
    add(`${name}-max`, 'sharded', run.max, 'ms');
    details[name] = run;
    if (run.unanswered > 0) throw new Error(`${name}: ${run.unanswered} of ${run.moved} entities did not answer again`);
    log(`${name}: ${run.moved} entities moved; answered again after p50 ${Math.round(run.p50)} p99 ${Math.round(run.p99)} max ${Math.round(run.max)} ms ${seconds(began)}`);
  }
}

async function rebalanceSection(): Promise<void> {
  const began = performance.now();
  const run = await rebalance(REBALANCE_ENTITIES);
  add('rebalance-4th-node-balanced', 'sharded', run.balancedMs, 'ms');
  add('rebalance-ask-during-handoff-p50', 'sharded', run.p50, 'ms');
  add('rebalance-ask-during-handoff-p99', 'sharded', run.p99, 'ms');
  add('rebalance-ask-during-handoff-max', 'sharded', run.max, 'ms');
  add('rebalance-ask-before-join-p99', 'sharded', run.steadyP99, 'ms');
  details.rebalance = run;
  log(
    `rebalance: balanced ${Math.round(run.balancedMs)} ms after the join (${run.rounds} rounds); asks during handoff p50 ${run.p50.toFixed(1)} p99 ${run.p99.toFixed(1)} max ${run.max.toFixed(1)} ms, before ${run.steadyP99.toFixed(1)} p99; ${run.failedAsks} timed out; shards per node ${run.shardsPerNode.join('/')} ${seconds(began)}`,
  );
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const only = onlySection(argv);
  const entities = heapEntities(argv);
  const watchdog = setTimeout(() => {
    log(`watchdog: the run exceeded ${WATCHDOG_MS / 1000} s; exiting (child processes are killed on exit)`);
    process.exit(2);
  }, WATCHDOG_MS);
  const began = performance.now();
  const loadBefore = loadavg()[0] as number;
  const sections: Record<Section, () => Promise<void>> = {
    local: localSection,
    remote: remoteSection,
    activation: activationSection,
    heap: () => heapSection(entities),
    failover: failoverSection,
    rebalance: rebalanceSection,
  };
  try {
    for (const section of SECTIONS) if (only === undefined || only === section) await sections[section]();
  } finally {
    clearTimeout(watchdog);
    details.runs = runs;
  }
  const results = checkTargets(figures);
  const cpuList = cpus();
  const header: ResultsHeader & Record<string, unknown> = {
    type: 'header',
    node: process.version,
    cpu: cpuList[0]?.model ?? 'unknown',
    cpus: cpuList.length,
    date: new Date().toISOString(),
    statistic: `tell and activation rates: ${STATISTIC} of ${MEASURED_RUNS} runs after 1 warm-up run, sharded and direct interleaved, a GC before each run; first-message latency: one run of sequential asks; heap: one run each; failover and rebalance: one run each (fresh processes)`,
    counts,
    loadAverage1m: { before: rounded(loadBefore), after: rounded(loadavg()[0] as number) },
    settings:
      "local, activation, heap, remote: package defaults (1,000 shards), passivation off; failover: package defaults, then the tests' tuned settings (heartbeat 200 ms, acceptable pause 1.5 s, stable-after 1.5 s, gossip 200 ms, sharding retry 300 ms); rebalance: package defaults",
    targets: results,
    details,
  };
  process.stdout.write(`\nTroupe sharding benchmarks — node ${header.node}, ${header.cpu} (${header.cpus} CPUs), 1-min load average ${loadBefore.toFixed(1)} before the run\n${header.statistic}\n\n`);
  process.stdout.write(`${formatShardingTable(figures, results)}\n\n`);
  process.stdout.write(`${formatJsonLines(figures)}\n`);
  if (only === undefined && entities === DEFAULT_HEAP_ENTITIES) {
    const path = await writeResults(new URL('../../results/sharding.json', import.meta.url), header, figures);
    log(`wrote ${path} in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  } else {
    log(`done in ${((performance.now() - began) / 1000).toFixed(1)} s (partial run: no results file)`);
  }
  // Sockets of the shut-down nodes may linger; the figures are out.
  process.exit(0);
}

await main();
