// `npm run start:services -- --once` against the real Kafka and Cassandra: ingest, stream,
// query, correcting batch; then a second run, where every uploaded line is a duplicate.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import cassandra from 'cassandra-driver';
import { runNodeProgram } from '@troupe/testkit';
import { afterAll, describe, expect, it } from 'vitest';

// The repository's globalSetup sets these when the services answer; without Java, outside CI, it
// prints a notice and the suites skip. Under CI=true it fails instead, so they never skip there.
const unavailable = process.env.TROUPE_KAFKA_BROKERS === undefined || process.env.TROUPE_CASSANDRA_CONTACT_POINTS === undefined;
const exampleDir = fileURLToPath(new URL('../..', import.meta.url));
const run = randomUUID().replaceAll('-', '').slice(0, 10);
const env = {
  TROUPE_KAFKA_BROKERS: process.env.TROUPE_KAFKA_BROKERS ?? '',
  TROUPE_CASSANDRA_CONTACT_POINTS: process.env.TROUPE_CASSANDRA_CONTACT_POINTS ?? '',
  WEATHER_KEYSPACE: `weather_smoke_${run}`,
  WEATHER_TOPIC: `weather-smoke-${run}-events`,
  WEATHER_JOURNAL_PREFIX: `weather-smoke-${run}-journal-`,
};

afterAll(async () => {
  if (unavailable) return;
  const admin = new Admin({ bootstrapBrokers: env.TROUPE_KAFKA_BROKERS.split(','), clientId: 'weather-smoke-cleanup' });
  const client = new cassandra.Client({ contactPoints: env.TROUPE_CASSANDRA_CONTACT_POINTS.split(','), localDataCenter: 'datacenter1' });
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`weather-smoke-${run}-`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await client.execute(`DROP KEYSPACE IF EXISTS ${env.WEATHER_KEYSPACE}`);
  } finally {
    await admin.close();
    await client.shutdown();
  }
});

describe.skipIf(unavailable)('example: weather — npm run start:services', () => {
  it('ingests, streams into Cassandra, answers queries and finds nothing to correct; a second run stores nothing twice', async () => {
    const first = await runNodeProgram(['dist/main-services.js', '--once', '--port', '0'], { cwd: exampleDir, env, timeoutMs: 300_000 });
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(first.stdout).toContain('POST /feed ny-2008.csv.gz: 8,784 lines, 8,784 stored, 0 duplicates, 0 refused');
    expect(first.stdout).toContain('the projection applied every event up to topic offset 17,568');
    expect(first.stdout).toContain(
      'GET /stations/725030:14732/days/2008-07-04 → 200 {"stationId":"725030:14732","station":"NEW YORK LAGUARDIA ARPT","date":"2008-07-04","temperature":{"high":26.7,"low":22.8,"mean":24.361,"variance":1.075,"stdev":1.037,"hours":23},"precipitation":0}',
    );
    expect(first.stdout).toContain(
      'recomputed 17,568 readings from the event topic at offset 17,568: 732 daily temperature rows, 732 daily precipitation rows, 24 months, 2 years; 0 differed from the stream',
    );

    // The stations recover from their Kafka journal topics, so every line is a duplicate.
    const second = await runNodeProgram(['dist/main-services.js', '--once', '--port', '0'], { cwd: exampleDir, env, timeoutMs: 300_000 });
    expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
    expect(second.stdout).toContain('POST /feed sf-2008.csv.gz: 8,784 lines, 0 stored, 8,784 duplicates, 0 refused');
    expect(second.stdout).toContain('0 differed from the stream');
  });

  it('names the address and exits 1 when Cassandra is not there', async () => {
    const result = await runNodeProgram(['dist/main-services.js', '--once', '--port', '0'], { cwd: exampleDir, env: { ...env, TROUPE_CASSANDRA_CONTACT_POINTS: '127.0.0.1:1' }, timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach Cassandra at 127.0.0.1:1');
  });
});
