#!/usr/bin/env node
// Readiness checks for the test servers that scripts/services starts. A server counts as
// ready when a real client gets a real answer, not when its port opens:
//   kafka      kafkajs admin: connect, listTopics, describeCluster
//   cassandra  cassandra-driver: SELECT release_version FROM system.local
//
// Usage (called by scripts/services; exit 0 = ready):
//   node readiness.mjs probe kafka|cassandra HOST:PORT
//       one attempt, prints what the server said
//   node readiness.mjs wait kafka|cassandra HOST:PORT --timeout SECONDS [--pid PID] [--log FILE]
//       retries until ready; prints a progress line every 5 s; fails early when PID exits;
//       on failure prints the last 40 lines of FILE and exits 1
//
// kafkajs and cassandra-driver come from the repo's node_modules (devDependencies of the
// test workspace), so `npm install` at the repo root must have run.

import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const PROGRESS_EVERY_MS = 5_000;
const RETRY_PAUSE_MS = 500;
const LOG_TAIL_LINES = 40;

async function loadClient(name) {
  try {
    return await import(name);
  } catch (err) {
    // Fatal at once: retrying cannot fix a missing package.
    console.error(`error: cannot load the Node package "${name}" (${err.message})`);
    console.error('run `npm install` at the repo root: it comes with the test workspace');
    process.exit(1);
  }
}

/** One attempt to talk to Kafka; resolves to a short description of the cluster. */
async function probeKafka(address) {
  // Silences kafkajs' one-time partitioner notice; we never produce here.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const { Kafka, logLevel } = (await loadClient('kafkajs')).default;
  const kafka = new Kafka({
    clientId: 'troupe-readiness',
    brokers: [address],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    const cluster = await admin.describeCluster();
    return `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), ${topics.length} topic(s)`;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** One attempt to talk to Cassandra; resolves to a short description of the node. */
async function probeCassandra(address) {
  const { Client } = (await loadClient('cassandra-driver')).default;
  const client = new Client({
    contactPoints: [address],
    // The data centre name of SimpleSnitch, which our cassandra.yaml uses.
    localDataCenter: 'datacenter1',
    socketOptions: { connectTimeout: 2_000, readTimeout: 5_000 },
  });
  try {
    await client.connect();
    const rs = await client.execute('SELECT release_version FROM system.local');
    return `Cassandra ${rs.first().release_version}`;
  } finally {
    await client.shutdown().catch(() => {});
  }
}

const probes = { kafka: probeKafka, cassandra: probeCassandra };

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return err.code === 'EPERM';
  }
}

/** The last `lines` lines of a (possibly large) log file, or a note why there are none. */
async function tail(file, lines) {
  let handle;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, 256 * 1024);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer
      .toString('utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch (err) {
    return `(cannot read ${file}: ${err.message})`;
  } finally {
    await handle?.close();
  }
}

// First line only: driver errors append multi-line dumps of their inner errors.
function message(err) {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

async function fail(text, log) {
  console.error(`error: ${text}`);
  if (log) {
    console.error(`--- last ${LOG_TAIL_LINES} lines of ${log} ---`);
    console.error(await tail(log, LOG_TAIL_LINES));
    console.error('--- end of log ---');
  }
  process.exit(1);
}

async function wait(name, address, { timeoutSeconds, pid, log }) {
  const probe = probes[name];
  const started = Date.now();
  const deadline = started + timeoutSeconds * 1_000;
  let nextProgress = started + PROGRESS_EVERY_MS;
  let lastError;
  for (;;) {
    if (pid !== undefined && !isAlive(pid)) {
      await fail(`${name} (pid ${pid}) exited before it answered on ${address}`, log);
    }
    try {
      const what = await probe(address);
      const seconds = ((Date.now() - started) / 1_000).toFixed(1);
      console.log(`${name} ready on ${address} after ${seconds} s (${what})`);
      return;
    } catch (err) {
      lastError = message(err);
    }
    const now = Date.now();
    if (now >= deadline) {
      await fail(`${name} did not answer on ${address} within ${timeoutSeconds} s (last error: ${lastError})`, log);
    }
    if (now >= nextProgress) {
      console.log(`waiting for ${name} on ${address} (${Math.round((now - started) / 1_000)} s)…`);
      nextProgress += PROGRESS_EVERY_MS;
    }
    await sleep(RETRY_PAUSE_MS);
  }
}

function usage() {
  console.error('usage: readiness.mjs probe kafka|cassandra HOST:PORT\n' + '       readiness.mjs wait kafka|cassandra HOST:PORT --timeout SECONDS [--pid PID] [--log FILE]');
  process.exit(2);
}

async function main(argv) {
  const [command, name, address, ...rest] = argv;
  if (!probes[name] || !/^[^:]+:\d+$/.test(address ?? '')) usage();
  const options = { timeoutSeconds: 60, pid: undefined, log: undefined };
  for (let i = 0; i < rest.length; i += 2) {
    const value = rest[i + 1];
    if (value === undefined) usage();
    if (rest[i] === '--timeout') options.timeoutSeconds = Number(value);
    else if (rest[i] === '--pid') options.pid = Number(value);
    else if (rest[i] === '--log') options.log = value;
    else usage();
  }
  if (command === 'probe') {
    try {
      console.log(`${name} ready on ${address} (${await probes[name](address)})`);
    } catch (err) {
      console.log(`${name} not answering on ${address}: ${message(err)}`);
      process.exit(1);
    }
  } else if (command === 'wait') {
    if (!(options.timeoutSeconds > 0)) usage();
    await wait(name, address, options);
  } else {
    usage();
  }
  // Client libraries can leave timers behind for a moment; do not wait for them.
  process.exit(0);
}

await main(process.argv.slice(2));
