/** One run's named results, e.g. `{ rate: 1.2e6 }` or `{ rate, p50, p99 }`. */
export type Sample = Readonly<Record<string, number>>;

/** How many measured runs each case gets, after one warm-up run. */
export const MEASURED_RUNS = 3;

/** The statistic reported out of the measured runs. */
export const STATISTIC = 'median';

/** Forces a full collection when node runs with --expose-gc, so one run's garbage does not land in the next. */
export function collectGarbage(): void {
  if (globalThis.gc === undefined) throw new Error('run node with --expose-gc (npm run bench:core does)');
  globalThis.gc();
  globalThis.gc();
}

/**
 * Runs each of `runs` once to warm up (JIT, inline caches), then `MEASURED_RUNS`
 * times, and returns, per run, the median of each result. A full GC precedes every
 * run. With several runs (ping-pong with and without children) the measured runs
 * alternate (A, B, A, B, …) so every variant sees the same process state (JIT,
 * heap, machine load) and their ratio is not an artefact of which ran first.
 */
export async function measureInterleaved(runs: readonly (() => Promise<Sample>)[]): Promise<Sample[]> {
  for (const run of runs) {
    collectGarbage();
    await run();
  }
  const samples: Sample[][] = runs.map(() => []);
  for (let i = 0; i < MEASURED_RUNS; i++) {
    for (const [index, run] of runs.entries()) {
      collectGarbage();
      (samples[index] as Sample[]).push(await run());
    }
  }
  return samples.map(medianSample);
}

function medianSample(samples: readonly Sample[]): Sample {
  const median: Record<string, number> = {};
  for (const key of Object.keys(samples[0] as Sample)) median[key] = medianOf(samples.map((sample) => sample[key] as number));
  return median;
}

/** The median of `values` (mean of the middle two for an even count). */
export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The value at quantile `q` (0..1) of an already sorted array (nearest rank). */
export function quantileOfSorted(sorted: Float64Array, q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

/** Events per second for `count` events over `ms` milliseconds. */
export function perSecond(count: number, ms: number): number {
  return (count * 1000) / ms;
}

/** Resolves on the next turn of the event loop (after I/O and immediates queued before it). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
