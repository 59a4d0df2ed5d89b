/**
 * How many persistence ids (one topic each) one broker carries here: KafkaJournal with
 * `--ids N` (default 10,000) persistence ids on the local single-node Kafka.
 *
 * 1. first events: N ids written in group commits of 1,000 writes (each creates its topics);
 * 2. one more event per id at N topics (throughput);
 * 3. sequential single writes and recoveries (highest + replay) of random ids (latency);
 * 4. the broker's resident memory, open files and data size (from /proc and du);
 * then every topic it created is deleted. Prints one JSON line per figure.
 *
 *   node dist/kafka/topic-scale.js [--ids 10000] [--brokers 127.0.0.1:19092]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Admin } from '@platformatic/kafka';
import type { AtomicWrite } from '@troupe/persistence';
import { EmptyEventTopicMapper, KafkaJournal } from '@troupe/persistence-kafka';
import { deleteTopics } from './raw-clients.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const brokers = option('brokers', process.env.TROUPE_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const ids = Number(option('ids', '10000'));
const run = `ts${Date.now().toString(36)}-`;
const payload = new TextEncoder().encode(JSON.stringify({ type: 'added', n: 1 }));
const emit = (record: Record<string, unknown>): void => console.log(JSON.stringify({ bench: 'kafka-topic-scale', ids, ...record }));
const write = (persistenceId: string, sequenceNr: number): AtomicWrite => ({
  persistenceId,
  events: [{ persistenceId, sequenceNr, payload, serializerId: 'json', manifest: '', eventManifest: '', tags: [], timestamp: Date.now(), writerUuid: 'scale' }],
});
const quantiles = (xs: number[]): { p50: number; p99: number } => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 1000) / 1000;
  return { p50: at(0.5), p99: at(0.99) };
};

function brokerStats(): Record<string, unknown> {
  const root = new URL('../../../.services/kafka/', import.meta.url).pathname;
  const stats: Record<string, unknown> = {};
  try {
    const pid = readFileSync(`${root}kafka.pid`, 'utf8').trim();
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    stats.brokerRssMiB = rss === undefined ? null : Math.round(Number(rss) / 1024);
    stats.brokerOpenFiles = readdirSync(`/proc/${pid}/fd`).length;
  } catch (error) {
    stats.brokerProcess = `unavailable: ${(error as Error).message}`;
  }
  // du complains about folders the broker deletes while it counts; its total still stands.
  let du: string;
  try {
    du = execFileSync('du', ['-sm', `${root}data`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (error) {
    du = String((error as { stdout?: unknown }).stdout ?? '');
  }
  const mib = Number(du.split('\t')[0]);
  if (Number.isFinite(mib) && du !== '') stats.dataDirMiB = mib;
  return stats;
}

const names = Array.from({ length: ids }, (_, i) => `scale-${i}`);
const journal = await KafkaJournal.connect({ brokers, journalTopicPrefix: run, eventTopicMapper: EmptyEventTopicMapper });
const admin = new Admin({ clientId: 'scale-admin', bootstrapBrokers: brokers });
try {
  emit({ phase: 'before', ...brokerStats() });
  let t0 = performance.now();
  for (let i = 0; i < ids; i += 1000) {
    const results = await journal.writeMessages(names.slice(i, i + 1000).map((id) => write(id, 1)));
    if (results.some((r) => r !== undefined)) throw new Error('a first write was rejected');
  }
  emit({ phase: 'first event per id (creates the topics)', seconds: Math.round(performance.now() - t0) / 1000, ...brokerStats() });

  t0 = performance.now();
  for (let i = 0; i < ids; i += 1000) await journal.writeMessages(names.slice(i, i + 1000).map((id) => write(id, 2)));
  emit({ phase: 'second event per id, group commits of 1000', eventsPerSecond: Math.round((ids / (performance.now() - t0)) * 1000) });

  const writeMs: number[] = [];
  const recoverMs: number[] = [];
  const fresh = await KafkaJournal.connect({ brokers, journalTopicPrefix: run, eventTopicMapper: EmptyEventTopicMapper });
  for (let i = 0; i < 200; i++) {
    const id = names[(i * 7919) % ids]!;
    const w0 = performance.now();
    await journal.writeMessages([write(id, 3 + Math.floor(i / ids))]).catch(() => undefined);
    writeMs.push(performance.now() - w0);
    const r0 = performance.now();
    const highest = await fresh.readHighestSequenceNr(id, 1);
    let n = 0;
    for await (const page of fresh.replayMessages(id, { fromSequenceNr: 1, toSequenceNr: highest, max: Infinity })) n += page.length;
    recoverMs.push(performance.now() - r0);
    if (n !== highest) throw new Error(`replayed ${n} of ${highest} events of ${id}`);
  }
  await fresh.close();
  emit({ phase: `single write at ${ids} topics (ms)`, ...quantiles(writeMs) });
  emit({ phase: `recovery (highest + replay) of a 3-event id at ${ids} topics (ms)`, ...quantiles(recoverMs) });
  emit({ phase: 'after', ...brokerStats() });
} finally {
  await journal.close();
  const ours = (await admin.listTopics()).filter((t) => t.startsWith(run));
  const d0 = performance.now();
  await deleteTopics(admin, ours);
  emit({ phase: 'deleted', topics: ours.length, seconds: Math.round(performance.now() - d0) / 1000 });
  await admin.close();
}
