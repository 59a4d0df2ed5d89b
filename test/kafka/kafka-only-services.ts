/**
 * vitest globalSetup of the Kafka fault suite: like ../setup/real-services.ts, but for
 * Kafka alone (the suite never needs Cassandra, and must not wait for it). Reuses a
 * running Kafka, starts it otherwise, and stops it afterwards only if it started it and
 * TROUPE_KEEP_SERVICES is not 1. Without JDK 17 or Maven (exit 10) the suite skips with
 * a notice, except under CI=true, where the setup fails.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const SERVICES = fileURLToPath(new URL('../../scripts/services', import.meta.url));
const inCi = process.env.CI === 'true' || process.env.CI === '1';

function services(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(SERVICES, args, { timeout: 200_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = await services(['env']);
  const brokers = /TROUPE_KAFKA_BROKERS=(.*)/.exec(env.stdout)?.[1]?.trim() ?? '';
  const owned = (await services(['status', 'kafka'])).code === 3;
  const start = await services(['start', 'kafka']);
  let available = true;
  if (start.code === 10 && !inCi) {
    console.warn(`Kafka fault suite SKIPPED: JDK 17 or Maven not found (${start.stderr.split('\n')[0]}); see scripts/service-stack/README.md`);
    available = false;
  } else if (start.code !== 0) {
    throw new Error(`scripts/services start kafka failed (exit ${start.code}):\n${start.stdout}${start.stderr}`);
  }
  project.provide('troupeKafkaAvailable', available);
  project.provide('troupeKafkaBrokers', brokers.split(','));
  project.provide('troupeCassandraAvailable', false);
  project.provide('troupeCassandraContactPoints', []);
  if (available) process.env.TROUPE_KAFKA_BROKERS = brokers;
  return async () => {
    if (available && owned && process.env.TROUPE_KEEP_SERVICES !== '1') await services(['stop', 'kafka']);
  };
}
