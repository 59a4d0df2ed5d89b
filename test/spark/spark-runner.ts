/**
 * Runs Spark from the tests: installs analytics/spark (its own `setup.sh`: the virtual
 * environment and the connector jars, idempotent, ~30 s the first time on a warm Maven
 * cache) and runs `spark_harness.py` in Spark local mode, one JVM per call.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SPARK_DIR = join(REPO_ROOT, 'analytics/spark');
const HARNESS = fileURLToPath(new URL('./spark_harness.py', import.meta.url));
/** Lines of a failed command's output quoted in the error. */
const TAIL_LINES = 60;

/** What `setup.sh --env` prints: where Java, Python and the jars are. */
type SparkEnv = Record<string, string>;

/** Runs a command, resolving with its output; rejects with the output's tail when it exits non-zero. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolveRun(output);
      const tail = output.split('\n').slice(-TAIL_LINES).join('\n');
      reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}:\n${tail}`));
    });
  });
}

let installed: Promise<SparkEnv> | undefined;

/** Installs analytics/spark once per test process (a no-op when already installed) and returns its environment. */
export function ensureSpark(): Promise<SparkEnv> {
  installed ??= (async () => {
    await run(join(SPARK_DIR, 'setup.sh'), [], process.env);
    const env: SparkEnv = {};
    for (const line of (await run(join(SPARK_DIR, 'setup.sh'), ['--env'], process.env)).split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
    }
    return env;
  })();
  return installed;
}

/** One task of the harness (see spark_harness.py). */
export type SparkTask =
  | { readonly name: string; readonly kind: 'cassandra-events'; readonly keyspace: string; readonly schema: 'weather' | 'bank' }
  | { readonly name: string; readonly kind: 'kafka-events'; readonly topics: readonly string[]; readonly schema: 'weather' | 'bank' }
  | { readonly name: string; readonly kind: 'kafka-stream'; readonly topics: readonly string[]; readonly schema: 'weather' | 'bank'; readonly checkpoint: string }
  | { readonly name: string; readonly kind: 'weather-daily' | 'bank-accounts'; readonly source: { readonly cassandra: string } | { readonly kafka: readonly string[] } };

/** Where the servers are, for the harness. */
export interface SparkServers {
  readonly cassandra?: string;
  readonly kafka?: string;
}

/** Runs the tasks in one Spark local[2] session; resolves with each task's rows by name. */
export async function runSpark(servers: SparkServers, tasks: readonly SparkTask[]): Promise<Record<string, Record<string, unknown>[]>> {
  const sparkEnv = await ensureSpark();
  const dir = mkdtempSync(join(tmpdir(), 'troupe-spark-'));
  const out = join(dir, 'out');
  const specFile = join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify({ ...servers, out, tasks }));
  const env = {
    ...process.env,
    JAVA_HOME: sparkEnv['JAVA_HOME'],
    TROUPE_SPARK_JARS: sparkEnv['TROUPE_SPARK_JARS'],
    PYSPARK_PYTHON: sparkEnv['PYTHON'],
    SPARK_LOCAL_IP: '127.0.0.1',
    PYTHONPATH: SPARK_DIR,
  };
  await run(sparkEnv['PYTHON']!, [HARNESS, specFile], env);
  const results: Record<string, Record<string, unknown>[]> = {};
  for (const task of tasks) results[task.name] = JSON.parse(readFileSync(join(out, `${task.name}.json`), 'utf8')) as Record<string, unknown>[];
  return results;
}

/** The bytes of a binary column as the harness writes them (`{ base64 }`). */
export function bytesOf(value: unknown): Buffer {
  return Buffer.from((value as { base64: string }).base64, 'base64');
}
