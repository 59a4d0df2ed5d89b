/**
 * vitest globalSetup: real single-node Kafka and Cassandra for the suites in this workspace.
 *
 * - Reuses a server that already answers (e.g. after `scripts/services start`).
 * - Starts the others with `scripts/services start`, which waits until they answer.
 * - Teardown stops only the servers this run started, unless `TROUPE_KEEP_SERVICES=1`
 *   (then the next run starts in about a second).
 * - Without JDK 17 or Maven (`scripts/services` exit code 10), outside CI: one loud
 *   notice, and the suites skip through `kafkaAvailable()` / `cassandraAvailable()`.
 *   Under `CI=true`, and for any other failure anywhere, the setup throws.
 *
 * Suites read the addresses with the helpers in `./services-env.ts`.
 * Another workspace can reuse this file: `globalSetup: ['<path>/test/setup/real-services.ts']`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

type ServiceName = 'kafka' | 'cassandra';

const SERVICES_SCRIPT = fileURLToPath(new URL('../../scripts/services', import.meta.url));
const NAMES: readonly ServiceName[] = ['kafka', 'cassandra'];

// Exit codes of scripts/services (documented in its header).
const EXIT_NOT_RUNNING = 3;
const EXIT_STARTING = 4;
const EXIT_NO_PREREQS = 10;

const inCi = process.env.CI === 'true' || process.env.CI === '1';
const keepServices = process.env.TROUPE_KEEP_SERVICES === '1';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs scripts/services. With `show`, its stdout (progress lines) streams to ours; its
 * stderr is collected and printed after it exits, except for the documented no-Java
 * case, which gets one notice instead.
 */
function services(args: string[], show: boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(SERVICES_SCRIPT, args, {
      stdio: ['ignore', show ? 'inherit' : 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** `scripts/services env`: the addresses, with the port overrides applied. */
async function addresses(): Promise<Record<string, string>> {
  const { code, stdout } = await services(['env'], false);
  if (code !== 0) throw new Error(`scripts/services env exited with ${code}`);
  return Object.fromEntries(
    stdout
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

function printSkipNotice(reason: string): void {
  const bar = '='.repeat(78);
  console.warn(
    [
      '',
      bar,
      ' Kafka and Cassandra suites are SKIPPED: JDK 17 or Maven was not found.',
      ` (${reason.replace(/^error: /, '')})`,
      ' To run them, install both (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless',
      ' maven), then run `scripts/services start` once, or just run the tests again.',
      ' See scripts/service-stack/README.md. Under CI=true these suites never skip.',
      bar,
      '',
    ].join('\n'),
  );
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = await addresses();
  const brokers = env.TROUPE_KAFKA_BROKERS ?? '';
  const contactPoints = env.TROUPE_CASSANDRA_CONTACT_POINTS ?? '';

  // Which servers already run? Ask each (in parallel) before starting anything.
  const states = await Promise.all(NAMES.map((name) => services(['status', name], false)));
  const toStart: ServiceName[] = [];
  const owned: ServiceName[] = [];
  NAMES.forEach((name, i) => {
    const code = states[i]?.code;
    if (code === 0) {
      console.log(`real-services: reusing the running ${name}`);
    } else if (code === EXIT_STARTING) {
      // Someone else's start is in progress: wait for it, but it is not ours to stop.
      toStart.push(name);
    } else {
      if (code !== EXIT_NOT_RUNNING) console.warn(states[i]?.stdout.trim());
      toStart.push(name);
      owned.push(name);
    }
  });

  let available = true;
  if (toStart.length > 0) {
    // One call (no name = both), so the two JVMs start in parallel.
    const names = toStart.length === NAMES.length ? [] : toStart;
    const { code, stderr } = await services(['start', ...names], true);
    if (code === EXIT_NO_PREREQS && !inCi) {
      printSkipNotice(stderr.split('\n')[0] ?? '');
      available = false;
      owned.length = 0;
    } else {
      process.stderr.write(stderr);
      if (code !== 0) {
        throw new Error(`scripts/services start ${toStart.join(' ')} failed (exit ${code}); see the output above` + (code === EXIT_NO_PREREQS ? ' (CI=true: real-service suites must run)' : ''));
      }
    }
  }

  project.provide('troupeKafkaAvailable', available);
  project.provide('troupeKafkaBrokers', brokers.split(','));
  project.provide('troupeCassandraAvailable', available);
  project.provide('troupeCassandraContactPoints', contactPoints.split(','));
  if (available) {
    // For code outside vitest's inject (workers are forked after this and inherit it).
    process.env.TROUPE_KAFKA_BROKERS = brokers;
    process.env.TROUPE_CASSANDRA_CONTACT_POINTS = contactPoints;
  }

  return async () => {
    if (owned.length === 0) return;
    if (keepServices) {
      console.log(`real-services: leaving ${owned.join(' and ')} running (TROUPE_KEEP_SERVICES=1)`);
      return;
    }
    // In parallel: each server takes a few seconds to shut down cleanly.
    const runs = await Promise.all(owned.map((name) => services(['stop', name], true)));
    runs.forEach(({ code, stderr }, i) => {
      process.stderr.write(stderr);
      if (code !== 0) console.warn(`real-services: scripts/services stop ${owned[i]} exited with ${code}`);
    });
  };
}
