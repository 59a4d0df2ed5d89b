import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What `examples/weather/dist/load-run.js` prints. */
export interface LoadRunResult {
  readonly readings: number;
  readonly warmup: number;
  readonly measured: number;
  readonly stored: number;
  readonly duplicates: number;
  readonly refused: number;
  readonly applied: number;
  readonly offeredRate: number;
  readonly ingestSeconds: number;
  readonly ingestRate: number;
  readonly endToEndSeconds: number;
  readonly endToEndRate: number;
  readonly lagMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

const exampleDir = fileURLToPath(new URL('../../../examples/weather/', import.meta.url));

/**
 * Runs the weather example's load run in its own process (ingest over HTTP → stations on the
 * Kafka journal → event topic → projection → Cassandra tables, on a fresh keyspace and topics
 * it drops afterwards) and returns its figures. The first 5,000 readings warm the pipeline up
 * (the stations' journal topics are created then) and are not measured.
 */
export function loadRun(readings: number | undefined, rate: number, chunk: number): Promise<LoadRunResult> {
  const args = ['dist/load-run.js', '--rate', String(rate), '--chunk', String(chunk), ...(readings === undefined ? [] : ['--readings', String(readings)])];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: exampleDir, timeout: 1_800_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) return reject(new Error(`load-run ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      const line = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as LoadRunResult);
      } catch {
        reject(new Error(`load-run printed no result: ${stdout}\n${stderr}`));
      }
    });
  });
}
