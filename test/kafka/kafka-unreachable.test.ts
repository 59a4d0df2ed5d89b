/** Starting the Kafka plugins when no broker listens: a clear error naming host and port. */
import { createServer } from 'node:net';
import { ActorSystem, silentLogger } from '@troupe/core';
import { Persistence } from '@troupe/persistence';
import { KafkaJournal, KafkaSnapshotStore, KafkaUnreachableError } from '@troupe/persistence-kafka';
import { describe, expect, it } from 'vitest';

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('Kafka plugins with no broker at the address', () => {
  it('KafkaJournal.connect rejects with KafkaUnreachableError naming host and port', async () => {
    const port = await closedPort();
    const error = await rejection(KafkaJournal.connect({ brokers: [`127.0.0.1:${port}`], retries: 0, connectTimeoutMs: 2000 }));
    expect(error).toBeInstanceOf(KafkaUnreachableError);
    expect((error as KafkaUnreachableError).code).toBe('ERR_KAFKA_UNREACHABLE');
    expect((error as Error).message).toContain(`cannot reach Kafka at 127.0.0.1:${port}`);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('KafkaSnapshotStore.connect rejects the same way', async () => {
    const port = await closedPort();
    const error = await rejection(KafkaSnapshotStore.connect({ brokers: [`127.0.0.1:${port}`], retries: 0 }));
    expect(error).toBeInstanceOf(KafkaUnreachableError);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('a journal configured by plugin name fails with that error when first used', async () => {
    const port = await closedPort();
    const system = ActorSystem.create({ name: 'kafka-unreachable', logger: silentLogger });
    try {
      Persistence.configure(system, { journals: { default: { plugin: 'kafka', options: { brokers: [`127.0.0.1:${port}`], retries: 0 } } } });
      const error = await rejection(Persistence.get(system).journalFor());
      expect(error).toBeInstanceOf(KafkaUnreachableError);
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    } finally {
      await system.terminate();
    }
  });
});
