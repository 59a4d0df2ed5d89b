/**
 * kafkajs 2.2.4 vs @platformatic/kafka on the real broker, for the three figures that
 * decide the journal's client:
 *
 * 1. recovery latency of a small actor: read a 10-event topic from offset 0 to its end;
 * 2. send latency with many topics known to the client: sequential one-event sends to
 *    topics the client has not seen yet, and to topics it already knows;
 * 3. write throughput to one partition with an idempotent producer.
 *
 * Bounded: `--topics N` (default 10000) topics are created once, reused by both clients,
 * and deleted at the end (`--keep-topics` leaves them). Prints one JSON line per figure.
 *
 *   node dist/kafka/client-compare.js [--topics 10000] [--brokers 127.0.0.1:19092]
 */
import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import { PlatformaticPartitionReader, createTopics, deleteTopics, kafkajsClient, kafkajsReadAll, platformaticProducer } from './raw-clients.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const brokers = option('brokers', process.env.TROUPE_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const topicCount = Number(option('topics', '10000'));
const keepTopics = args.includes('--keep-topics');
const run = randomUUID().slice(0, 8);

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
function summary(samples: number[]): { p50: number; p99: number; mean: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return { p50: round(quantile(sorted, 0.5)), p99: round(quantile(sorted, 0.99)), mean: round(mean), n: samples.length };
}
function emit(record: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: 'kafka-client-compare', ...record }));
}
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: brokers, metadataMaxAge: 300_000, retries: 5, retryDelay: 100 });
const value = Buffer.alloc(100, 7);

async function recoveryLatency(): Promise<void> {
  const topic = `cmp-recover-${run}`;
  await createTopics(admin, [topic]);
  const producer = platformaticProducer(brokers);
  await producer.send({ messages: Array.from({ length: 10 }, () => ({ topic, partition: 0, value })) });
  await producer.close();

  const reader = new PlatformaticPartitionReader(admin);
  const cold = await timed(() => reader.readAll(topic));
  const warm: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    const n = await reader.readAll(topic);
    warm.push(performance.now() - t0);
    if (n !== 10) throw new Error(`platformatic read ${n} events, expected 10`);
  }
  await reader.close();
  emit({ figure: 'recovery-10-events-ms', client: '@platformatic/kafka', method: 'group-less sessionless Fetch v17, metadata cached', cold: Math.round(cold * 1000) / 1000, ...summary(warm) });

  const kafka = kafkajsClient(brokers);
  const kadmin = kafka.admin();
  await kadmin.connect();
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const n = await kafkajsReadAll(kafka, kadmin, topic, `cmp-recover-${run}-${i}`);
    samples.push(performance.now() - t0);
    if (n !== 10) throw new Error(`kafkajs read ${n} events, expected 10`);
  }
  await kadmin.deleteGroups(Array.from({ length: 10 }, (_, i) => `cmp-recover-${run}-${i}`)).catch(() => undefined);
  await kadmin.disconnect();
  emit({ figure: 'recovery-10-events-ms', client: 'kafkajs', method: 'consumer in a fresh group per recovery (group.initial.rebalance.delay.ms=0 on this broker)', ...summary(samples) });
  await admin.deleteTopics({ topics: [topic] });
}

async function sendLatency(): Promise<void> {
  const many = Array.from({ length: topicCount }, (_, i) => `cmp-many-${run}-${String(i).padStart(5, '0')}`);
  const freshBefore = Array.from({ length: 100 }, (_, i) => `cmp-fresh-a-${run}-${i}`);
  const freshAfter = Array.from({ length: 100 }, (_, i) => `cmp-fresh-b-${run}-${i}`);
  const t0 = performance.now();
  try {
    await createTopics(admin, [...many, ...freshBefore, ...freshAfter]);
    emit({ figure: 'create-topics-until-all-have-leaders', topics: many.length + 200, seconds: Math.round((performance.now() - t0) / 10) / 100 });
    // platformatic
    {
      const producer = platformaticProducer(brokers);
      const before: number[] = [];
      for (const topic of freshBefore) before.push(await timed(() => producer.send({ messages: [{ topic, partition: 0, value }] })));
      const w0 = performance.now();
      for (let i = 0; i < many.length; i += 500) await producer.send({ messages: many.slice(i, i + 500).map((topic) => ({ topic, partition: 0, value })) });
      const warmSeconds = (performance.now() - w0) / 1000;
      const after: number[] = [];
      for (const topic of freshAfter) after.push(await timed(() => producer.send({ messages: [{ topic, partition: 0, value }] })));
      const known: number[] = [];
      for (let i = 0; i < 200; i++) {
        const topic = many[(i * 7919) % many.length]!;
        known.push(await timed(() => producer.send({ messages: [{ topic, partition: 0, value }] })));
      }
      await producer.close();
      emit({ figure: 'send-latency-ms', client: '@platformatic/kafka', knownTopics: 0, to: 'new topic', ...summary(before) });
      emit({ figure: 'send-latency-ms', client: '@platformatic/kafka', knownTopics: many.length + 100, to: 'new topic', warmSeconds: Math.round(warmSeconds * 100) / 100, ...summary(after) });
      emit({ figure: 'send-latency-ms', client: '@platformatic/kafka', knownTopics: many.length + 200, to: 'known topic', ...summary(known) });
    }
    // kafkajs
    {
      const kafka = kafkajsClient(brokers);
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      const send = (topic: string): Promise<unknown> => producer.send({ topic, acks: -1, messages: [{ value, partition: 0 }] });
      const before: number[] = [];
      for (const topic of freshBefore) before.push(await timed(() => send(topic)));
      const w0 = performance.now();
      for (let i = 0; i < many.length; i += 500) {
        await producer.sendBatch({ acks: -1, topicMessages: many.slice(i, i + 500).map((topic) => ({ topic, messages: [{ value, partition: 0 }] })) });
      }
      const warmSeconds = (performance.now() - w0) / 1000;
      const after: number[] = [];
      for (const topic of freshAfter) after.push(await timed(() => send(topic)));
      const known: number[] = [];
      for (let i = 0; i < 200; i++) known.push(await timed(() => send(many[(i * 7919) % many.length]!)));
      await producer.disconnect();
      emit({ figure: 'send-latency-ms', client: 'kafkajs', knownTopics: 0, to: 'new topic', ...summary(before) });
      emit({ figure: 'send-latency-ms', client: 'kafkajs', knownTopics: many.length + 100, to: 'new topic', warmSeconds: Math.round(warmSeconds * 100) / 100, ...summary(after) });
      emit({ figure: 'send-latency-ms', client: 'kafkajs', knownTopics: many.length + 200, to: 'known topic', ...summary(known) });
    }
  } finally {
    if (!keepTopics) {
      const d0 = performance.now();
      await deleteTopics(admin, [...many, ...freshBefore, ...freshAfter]);
      emit({ figure: 'delete-topics', topics: many.length + 200, seconds: Math.round((performance.now() - d0) / 10) / 100 });
    }
  }
}

async function writeThroughput(): Promise<void> {
  const events = 20_000;
  const modes = [
    { inFlight: 64, perSend: 1 },
    { inFlight: 4, perSend: 100 },
  ];
  for (const { inFlight, perSend } of modes) {
    const topics = [`cmp-tp-p-${run}-${perSend}`, `cmp-tp-k-${run}-${perSend}`];
    await createTopics(admin, topics);
    const batch = Array.from({ length: perSend }, () => value);
    const drive = async (send: () => Promise<unknown>): Promise<number> => {
      await send();
      const t0 = performance.now();
      let sent = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (sent < events) {
            sent += perSend;
            await send();
          }
        }),
      );
      return Math.round((events / (performance.now() - t0)) * 1000);
    };
    {
      const producer = platformaticProducer(brokers);
      const rate = await drive(() => producer.send({ messages: batch.map((v) => ({ topic: topics[0]!, partition: 0, value: v })) }));
      await producer.close();
      emit({ figure: 'write-throughput-events-per-s', client: '@platformatic/kafka', events, inFlightSends: inFlight, eventsPerSend: perSend, rate });
    }
    {
      const kafka = kafkajsClient(brokers);
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      const rate = await drive(() => producer.send({ topic: topics[1]!, acks: -1, messages: batch.map((v) => ({ value: v, partition: 0 })) }));
      await producer.disconnect();
      emit({ figure: 'write-throughput-events-per-s', client: 'kafkajs', events, inFlightSends: inFlight, eventsPerSend: perSend, rate });
    }
    await admin.deleteTopics({ topics });
  }
}

try {
  const which = option('only', 'all');
  if (which === 'all' || which === 'recovery') await recoveryLatency();
  if (which === 'all' || which === 'throughput') await writeThroughput();
  if (which === 'all' || which === 'send') await sendLatency();
} finally {
  await admin.close();
}
