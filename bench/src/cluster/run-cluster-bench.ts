/**
 * Cluster benchmarks: Troupe's remote tell and ask beside a raw ws baseline
 * between the same two processes, in one run; cluster convergence, heartbeat traffic
 * and failure detection with N real member processes on 127.0.0.1.
 * Usage: node --expose-gc dist/cluster/run-cluster-bench.js [--only tell|ask|cluster]
 * (`--only` runs one section and writes no results file).
 *
 * Bounded: fixed counts, a watchdog that ends the run (and, through the harness, every
 * child process) after WATCHDOG_MS; every child is SIGKILLed at the end.
 */
import { cpus, loadavg } from 'node:os';
import { MEASURED_RUNS, STATISTIC, type Sample, measureInterleaved, medianOf } from '../core/measurement.js';
import { type Figure, type ResultsHeader, type Subject, formatJsonLines, rounded, writeResults } from '../core/report.js';
import { checkTargets, formatClusterTable } from './cluster-report.js';
import { converge } from './convergence.js';
import { type Detection, detectKilledNode } from './failure-detection.js';
import { CODEC_NAMES } from './frame-codec-choice.js';
import { type HeartbeatRate, heartbeatRate } from './heartbeat-rate.js';
import { rawAsk, troupeAsk } from './remote-ask.js';
import { RemotePair } from './remote-pair.js';
import { rawTell, troupeTell } from './remote-tell.js';

/** Messages per remote tell run: ~0.3 s per run at ~3M msgs/s, long enough for steady medians (100k-300k runs swung ±10%). */
const TELL_COUNT = 1_000_000;
const TELL_BATCHES = [1000, 100] as const;
/** Sequential asks per run: 30,000 (~3 s) so that runs measure steady state; with 10,000 the first runs still caught JIT tier-up and heap growth (p99 swung 1.7–2.4× raw). */
const ASK_COUNT = 30_000;
/** Unmeasured messages and asks after each run's GC, before it is timed (see `sideBySide`): ~30 ms of tells, ~150 ms of asks. */
const TELL_SETTLE_COUNT = 100_000;
const ASK_SETTLE_COUNT = 2_000;
/** 3, 5 and 10 nodes as the issue asks; 20 shows whether heartbeat traffic stays flat past `monitoredPeers` + 1. */
const CLUSTER_SIZES = [3, 5, 10, 20] as const;
/** Each size is formed this many times (fresh processes each time); the figure is the median. */
const CONVERGE_RUNS = 2;
const DETECTION_SIZE = 5;
const SETTLE_MS = 1000;
const HEARTBEAT_WINDOW_MS = 5000;
const WATCHDOG_MS = 6 * 60_000;
/** Akka's default acceptable heartbeat pause: a second detection run shows what it would give. */
const AKKA_PAUSE = { acceptableHeartbeatPauseMs: 3000 } as const;

type Section = 'tell' | 'ask' | 'cluster';
const SECTIONS: readonly Section[] = ['tell', 'ask', 'cluster'];

function onlySection(argv: readonly string[]): Section | undefined {
  const index = argv.indexOf('--only');
  if (index < 0) return undefined;
  const value = argv[index + 1] as Section | undefined;
  if (value === undefined || !SECTIONS.includes(value)) throw new TypeError(`--only needs one of ${SECTIONS.join(', ')}`);
  return value;
}

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const figures: Figure[] = [];
const details: Record<string, unknown> = {};

function add(scenario: string, subject: Subject, value: number, unit: string): void {
  figures.push({ scenario, subject, value, unit });
}

/** Every run (warm-up first) of every side-by-side scenario, to show the spread behind each median. */
const runs: Record<string, Record<string, Sample[]>> = {};

/**
 * Troupe and raw measured as one interleaved group; every run is kept in `runs`. Each run
 * is preceded by a GC on both sides (so neither subject pays for the other's garbage), then
 * by `settleCount` unmeasured messages or asks of the same subject: the forced full GC
 * clears objects that optimized code embeds (message shapes of the run before), V8
 * deoptimizes that code (`--trace-deopt`: "embedded weak objects cleared", for
 * `decodeRefs`, `runQueue`, `sendUserMessage`, …), and without the settling the first
 * ~200 ms of every run measured JIT re-warming instead of the steady state.
 */
async function sideBySide(
  scenario: string,
  pair: RemotePair,
  count: number,
  settleCount: number,
  troupe: (count: number) => Promise<Sample>,
  raw: (count: number) => Promise<Sample>,
): Promise<{ troupe: Sample; raw: Sample }> {
  const recorded = (subject: Subject, run: (count: number) => Promise<Sample>) => async () => {
    await pair.collectRemoteGarbage();
    await run(settleCount);
    const sample = await run(count);
    ((runs[scenario] ??= {})[subject] ??= []).push(Object.fromEntries(Object.entries(sample).map(([key, value]) => [key, rounded(value)])));
    return sample;
  };
  const [t, r] = await measureInterleaved([recorded('troupe', troupe), recorded('raw', raw)]);
  return { troupe: t as Sample, raw: r as Sample };
}

async function remoteSections(only: Section | undefined): Promise<void> {
  const pair = await RemotePair.start();
  try {
    for (const codec of CODEC_NAMES) {
      const wantTell = only === undefined || only === 'tell';
      const wantAsk = codec === 'json' && (only === undefined || only === 'ask');
      if (!wantTell && !wantAsk) continue;
      await pair.startTroupe(codec);
      if (wantTell) {
        for (const batch of TELL_BATCHES) {
          const scenario = `remote-tell-${codec}-batch-${batch}`;
          const began = performance.now();
          const result = await sideBySide(
            scenario,
            pair,
            TELL_COUNT,
            TELL_SETTLE_COUNT,
            (count) => troupeTell(pair, count, batch),
            (count) => rawTell(pair, codec, count, batch),
          );
          add(scenario, 'troupe', result.troupe.rate as number, 'msgs/s');
          add(scenario, 'raw', result.raw.rate as number, 'msgs/s');
          log(`${scenario}: troupe ${Math.round(result.troupe.rate as number)} raw ${Math.round(result.raw.rate as number)} msgs/s [${((performance.now() - began) / 1000).toFixed(1)} s]`);
        }
      }
      if (wantAsk) {
        const began = performance.now();
        const result = await sideBySide(
          'remote-ask-sequential',
          pair,
          ASK_COUNT,
          ASK_SETTLE_COUNT,
          (count) => troupeAsk(pair, count),
          (count) => rawAsk(pair, count),
        );
        for (const [subject, sample] of [
          ['troupe', result.troupe],
          ['raw', result.raw],
        ] as const) {
          add('remote-ask-sequential', subject, sample.rate as number, 'asks/s');
          add('remote-ask-sequential-p50', subject, sample.p50 as number, 'µs');
          add('remote-ask-sequential-p99', subject, sample.p99 as number, 'µs');
        }
        log(
          `remote-ask-sequential: troupe p50 ${rounded(result.troupe.p50 as number)} p99 ${rounded(result.troupe.p99 as number)} µs; raw p50 ${rounded(result.raw.p50 as number)} p99 ${rounded(result.raw.p99 as number)} µs [${((performance.now() - began) / 1000).toFixed(1)} s]`,
        );
      }
    }
  } finally {
    await pair.close();
    details.remoteRuns = runs;
  }
}

async function clusterSection(): Promise<void> {
  const convergence: Record<string, number[]> = {};
  const heartbeats: Record<string, HeartbeatRate> = {};
  let detection: Detection | undefined;
  for (const size of CLUSTER_SIZES) {
    for (let run = 0; run < CONVERGE_RUNS; run++) {
      const began = performance.now();
      const { cluster, ms } = await converge(size);
      try {
        (convergence[`${size}`] ??= []).push(rounded(ms));
        const parts = [`converged in ${Math.round(ms)} ms`];
        if (run === 0) {
          await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
          const rate = await heartbeatRate(cluster, HEARTBEAT_WINDOW_MS);
          heartbeats[`${size}`] = rate;
          parts.push(`heartbeats ${rate.perNodePerSecond.toFixed(2)}/node/s (max ${rate.maxPerNodePerSecond.toFixed(2)}), gossip ${rate.gossipPerNodePerSecond.toFixed(2)}/node/s`);
          if (size === DETECTION_SIZE) {
            detection = await detectKilledNode(cluster, true);
            parts.push(
              `killed node unreachable after ${Math.round(detection.firstMs)} ms (all survivors ${Math.round(detection.allMs)} ms), removed after ${Math.round(detection.removedMs ?? Number.NaN)} ms`,
            );
          }
        }
        log(`${size} nodes, run ${run + 1}: ${parts.join('; ')} [${((performance.now() - began) / 1000).toFixed(1)} s]`);
      } finally {
        await cluster.close();
      }
    }
  }
  // Same warm-up as the default run (settle + heartbeat window), then the kill.
  const began = performance.now();
  const akka = await converge(DETECTION_SIZE, AKKA_PAUSE);
  let akkaDetection: Detection;
  try {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS + HEARTBEAT_WINDOW_MS));
    akkaDetection = await detectKilledNode(akka.cluster, false);
  } finally {
    await akka.cluster.close();
  }
  log(
    `${DETECTION_SIZE} nodes, acceptable pause 3 s: killed node unreachable after ${Math.round(akkaDetection.firstMs)} ms (all survivors ${Math.round(akkaDetection.allMs)} ms) [${((performance.now() - began) / 1000).toFixed(1)} s]`,
  );

  for (const size of CLUSTER_SIZES) add(`converge-${size}-nodes`, 'troupe', medianOf(convergence[`${size}`] ?? []), 'ms');
  for (const size of CLUSTER_SIZES) {
    const rate = heartbeats[`${size}`];
    if (rate !== undefined) add(`heartbeats-${size}-nodes`, 'troupe', rate.perNodePerSecond, 'msgs/node/s');
  }
  const [h10, h20] = [heartbeats['10'], heartbeats['20']];
  if (h10 !== undefined && h20 !== undefined) add('heartbeats-growth-10-to-20-nodes', 'troupe', h20.perNodePerSecond / h10.perNodePerSecond, '×');
  if (detection !== undefined) {
    add('detect-killed-node-first', 'troupe', detection.firstMs, 'ms');
    add('detect-killed-node-all', 'troupe', detection.allMs, 'ms');
    if (detection.removedMs !== undefined) add('remove-killed-node', 'troupe', detection.removedMs, 'ms');
  }
  add('detect-killed-node-first-pause-3s', 'troupe', akkaDetection.firstMs, 'ms');
  add('detect-killed-node-all-pause-3s', 'troupe', akkaDetection.allMs, 'ms');
  details.convergenceRunsMs = convergence;
  details.heartbeatWindows = heartbeats;
  details.detection = { defaults: detection, acceptablePause3s: akkaDetection };
}

async function main(): Promise<void> {
  const only = onlySection(process.argv.slice(2));
  const watchdog = setTimeout(() => {
    log(`watchdog: the run exceeded ${WATCHDOG_MS / 1000} s; exiting (child processes are killed on exit)`);
    process.exit(2);
  }, WATCHDOG_MS);
  const began = performance.now();
  const loadBefore = loadavg()[0] as number;
  try {
    if (only !== 'cluster') await remoteSections(only);
    if (only === undefined || only === 'cluster') await clusterSection();
  } finally {
    clearTimeout(watchdog);
  }
  const results = checkTargets(figures);
  const cpuList = cpus();
  const header: ResultsHeader & Record<string, unknown> = {
    type: 'header',
    node: process.version,
    cpu: cpuList[0]?.model ?? 'unknown',
    cpus: cpuList.length,
    date: new Date().toISOString(),
    statistic: `remote tell/ask: ${STATISTIC} of ${MEASURED_RUNS} runs after 1 warm-up run, Troupe and raw interleaved, each run after a GC on both sides and ${TELL_SETTLE_COUNT} tells / ${ASK_SETTLE_COUNT} asks unmeasured; convergence: ${STATISTIC} of ${CONVERGE_RUNS} runs per size (fresh processes); heartbeats: one ${HEARTBEAT_WINDOW_MS / 1000} s window per size; detection: one run per setting (${DETECTION_SIZE} nodes)`,
    counts: {
      ...Object.fromEntries(TELL_BATCHES.flatMap((batch) => CODEC_NAMES.map((codec) => [`remote-tell-${codec}-batch-${batch}`, { troupe: TELL_COUNT, raw: TELL_COUNT }]))),
      'remote-ask-sequential': { troupe: ASK_COUNT, raw: ASK_COUNT },
    },
    loadAverage1m: { before: rounded(loadBefore), after: rounded(loadavg()[0] as number) },
    clusterSettings: 'package defaults (heartbeat 1 s, threshold 8, acceptable pause 5 s, gossip 1 s, stable-after 7 s, 5 monitored peers, JSON codec); remote tell/ask nodes set only transport.codec',
    targets: results,
    details,
  };
  process.stdout.write(`\nTroupe cluster benchmarks — node ${header.node}, ${header.cpu} (${header.cpus} CPUs), 1-min load average ${loadBefore.toFixed(1)} before the run\n${header.statistic}\n\n`);
  process.stdout.write(`${formatClusterTable(figures, results)}\n\n`);
  process.stdout.write(`${formatJsonLines(figures)}\n`);
  if (only === undefined) {
    const path = await writeResults(new URL('../../results/cluster.json', import.meta.url), header, figures);
    log(`wrote ${path} in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  } else {
    log(`done in ${((performance.now() - began) / 1000).toFixed(1)} s (partial run: no results file)`);
  }
}

await main();
