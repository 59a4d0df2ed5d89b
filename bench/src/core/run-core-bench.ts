import { cpus } from 'node:os';
import { nactAsk, rawAsk, troupeAsk } from './ask.js';
import { nactFanOut, troupeFanOut } from './fan-out.js';
import { MEASURED_RUNS, STATISTIC, type Sample, measureInterleaved } from './measurement.js';
import { nactPingPong, troupePingPong } from './ping-pong.js';
import { rawFanOut, rawPingPong } from './raw-baseline.js';
import { type Figure, type ResultsHeader, type Subject, formatJsonLines, formatTable, writeResults } from './report.js';
import { nactSpawn, troupeSpawn } from './spawn.js';

/**
 * Core benchmarks: Troupe, nact and a raw baseline side by side in one process run.
 * Usage: node --expose-gc dist/core/run-core-bench.js [--only <text>]
 * (`--only` runs the cases whose name contains the text and writes no results file).
 *
 * Ping-pong with and without children is measured as one group with interleaved
 * runs, so their ratio compares like with like.
 *
 * nact handles every message in its own setImmediate, so it gets smaller counts
 * where the Troupe count would take it many seconds per run; every figure is a rate
 * or a per-item value, so the counts change the run time, not the unit.
 */

const ROUTEES = 1000;
const CHILDREN = 1000;
const IN_FLIGHT = 100;

/** One subject in one scenario; `outputs` maps each result of a run to a reported figure. */
interface Case {
  readonly name: string;
  readonly subject: Subject;
  readonly count: number;
  readonly run: (count: number) => Promise<Sample>;
  readonly outputs: Readonly<Record<string, { readonly scenario: string; readonly unit: string }>>;
}

/** Cases measured together, their runs interleaved (see `measureInterleaved`); most groups hold one case. */
type CaseGroup = readonly Case[];

const rate = (scenario: string, unit: string) => ({ rate: { scenario, unit } });
const askLatency = {
  rate: { scenario: 'ask-sequential', unit: 'asks/s' },
  p50: { scenario: 'ask-sequential-p50', unit: 'µs' },
  p99: { scenario: 'ask-sequential-p99', unit: 'µs' },
};
const spawnOutputs = {
  rate: { scenario: 'spawn', unit: 'actors/s' },
  bytesPerActor: { scenario: 'spawn-retained-heap', unit: 'bytes/actor' },
};

const GROUPS: readonly CaseGroup[] = [
  [
    { name: 'ping-pong', subject: 'troupe', count: 5_000_000, run: (n) => troupePingPong(n, 0), outputs: rate('ping-pong', 'msgs/s') },
    { name: 'ping-pong-1000-children', subject: 'troupe', count: 5_000_000, run: (n) => troupePingPong(n, CHILDREN), outputs: rate('ping-pong-1000-children', 'msgs/s') },
  ],
  [
    { name: 'ping-pong', subject: 'nact', count: 200_000, run: (n) => nactPingPong(n, 0), outputs: rate('ping-pong', 'msgs/s') },
    { name: 'ping-pong-1000-children', subject: 'nact', count: 10_000, run: (n) => nactPingPong(n, CHILDREN), outputs: rate('ping-pong-1000-children', 'msgs/s') },
  ],
  [{ name: 'ping-pong', subject: 'raw', count: 5_000_000, run: async (n) => rawPingPong(n), outputs: rate('ping-pong', 'msgs/s') }],
  [{ name: 'fan-out-1000-routees', subject: 'troupe', count: 1_000_000, run: (n) => troupeFanOut(n, ROUTEES), outputs: rate('fan-out-1000-routees', 'msgs/s') }],
  [{ name: 'fan-out-1000-routees', subject: 'nact', count: 200_000, run: (n) => nactFanOut(n, ROUTEES), outputs: rate('fan-out-1000-routees', 'msgs/s') }],
  [{ name: 'fan-out-1000-routees', subject: 'raw', count: 1_000_000, run: async (n) => rawFanOut(n, ROUTEES), outputs: rate('fan-out-1000-routees', 'msgs/s') }],
  [{ name: 'ask-sequential', subject: 'troupe', count: 100_000, run: (n) => troupeAsk(n, 1), outputs: askLatency }],
  [{ name: 'ask-sequential', subject: 'nact', count: 50_000, run: (n) => nactAsk(n, 1), outputs: askLatency }],
  [{ name: 'ask-sequential', subject: 'raw', count: 100_000, run: (n) => rawAsk(n, 1), outputs: askLatency }],
  [{ name: 'ask-100-in-flight', subject: 'troupe', count: 100_000, run: (n) => troupeAsk(n, IN_FLIGHT), outputs: rate('ask-100-in-flight', 'asks/s') }],
  [{ name: 'ask-100-in-flight', subject: 'nact', count: 50_000, run: (n) => nactAsk(n, IN_FLIGHT), outputs: rate('ask-100-in-flight', 'asks/s') }],
  [{ name: 'ask-100-in-flight', subject: 'raw', count: 100_000, run: (n) => rawAsk(n, IN_FLIGHT), outputs: rate('ask-100-in-flight', 'asks/s') }],
  [{ name: 'spawn', subject: 'troupe', count: 100_000, run: (n) => troupeSpawn(n), outputs: spawnOutputs }],
  [{ name: 'spawn', subject: 'nact', count: 100_000, run: (n) => nactSpawn(n), outputs: spawnOutputs }],
];

/** Children ping-pong as a percentage of plain ping-pong, per subject (derived from two measured figures). */
function childrenVsNone(figures: readonly Figure[]): Figure[] {
  const derived: Figure[] = [];
  for (const subject of ['troupe', 'nact'] as const) {
    const none = figures.find((figure) => figure.scenario === 'ping-pong' && figure.subject === subject);
    const withChildren = figures.find((figure) => figure.scenario === 'ping-pong-1000-children' && figure.subject === subject);
    if (none !== undefined && withChildren !== undefined) derived.push({ scenario: 'ping-pong-1000-children-vs-none', subject, value: (withChildren.value / none.value) * 100, unit: '%' });
  }
  return derived;
}

function onlyFilter(argv: readonly string[]): string | undefined {
  const index = argv.indexOf('--only');
  if (index < 0) return undefined;
  const text = argv[index + 1];
  if (text === undefined) throw new TypeError('--only needs a value, e.g. --only ping-pong');
  return text;
}

async function main(): Promise<void> {
  const only = onlyFilter(process.argv.slice(2));
  const selected = GROUPS.map((group) => group.filter((entry) => only === undefined || `${entry.name} ${entry.subject}`.includes(only))).filter((group) => group.length > 0);
  const figures: Figure[] = [];
  const counts: Record<string, Partial<Record<Subject, number>>> = {};
  const began = performance.now();
  for (const group of selected) {
    const groupStart = performance.now();
    const samples = await measureInterleaved(group.map((entry) => () => entry.run(entry.count)));
    const seconds = ((performance.now() - groupStart) / 1000).toFixed(1);
    for (const [index, entry] of group.entries()) {
      const sample = samples[index] as Sample;
      (counts[entry.name] ??= {})[entry.subject] = entry.count;
      const parts: string[] = [];
      for (const [key, output] of Object.entries(entry.outputs)) {
        const value = sample[key];
        if (value === undefined) throw new Error(`${entry.name} ${entry.subject}: the run reported no "${key}"`);
        figures.push({ scenario: output.scenario, subject: entry.subject, value, unit: output.unit });
        parts.push(`${output.scenario} ${Math.round(value * 100) / 100} ${output.unit}`);
      }
      process.stderr.write(`# ${entry.subject.padEnd(6)} ${entry.name} (n=${entry.count}): ${parts.join(', ')} [group ${seconds} s]\n`);
    }
  }
  figures.push(...childrenVsNone(figures));
  const order = [...new Set(GROUPS.flat().flatMap((entry) => Object.values(entry.outputs).map((output) => output.scenario)))];
  order.splice(order.indexOf('ping-pong-1000-children') + 1, 0, 'ping-pong-1000-children-vs-none');
  figures.sort((a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario));

  const cpuList = cpus();
  const header: ResultsHeader = {
    type: 'header',
    node: process.version,
    cpu: cpuList[0]?.model ?? 'unknown',
    cpus: cpuList.length,
    date: new Date().toISOString(),
    statistic: `${STATISTIC} of ${MEASURED_RUNS} runs after 1 warm-up run (ping-pong with and without children interleaved)`,
    counts,
  };
  process.stdout.write(`\nTroupe core benchmarks — node ${header.node}, ${header.cpu} (${header.cpus} CPUs), ${header.statistic}\n\n`);
  process.stdout.write(`${formatTable(figures)}\n\n`);
  process.stdout.write(`${formatJsonLines(figures)}\n`);
  if (only === undefined) {
    const path = await writeResults(new URL('../../results/core.json', import.meta.url), header, figures);
    process.stderr.write(`# wrote ${path} in ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
  }
}

await main();
