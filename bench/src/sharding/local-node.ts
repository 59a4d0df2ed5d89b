import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, ClusterSharding, EntityTypeKey } from '@troupe/cluster';
import { silentLogger } from '@troupe/core';
import { InMemorySnapshotStore, Persistence, SqliteJournal } from '@troupe/persistence';
import { BENCH_SECRET, BENCH_SYSTEM } from '../cluster/bench-messages.js';
import { type BenchMessage, BenchEntity, PersistentBenchEntity, STOP } from './bench-entity.js';

/** Entity types of the in-process runs: entities stay active (no idle timeout, no practical limit). */
export const PLAIN = EntityTypeKey.of<BenchMessage>('bench-plain');
export const PERSISTENT = EntityTypeKey.of<BenchMessage>('bench-persistent');

/** No passivation during a run: the runs measure active entities. */
const ALWAYS_ACTIVE = { idleTimeoutMs: Infinity, maxActiveEntities: 100_000_000 } as const;

/**
 * A one-node cluster in this process with both benchmark entity types registered, the
 * persistent one on a fresh embedded SQLite journal in a temporary directory.
 */
export class LocalNode {
  private constructor(
    readonly cluster: Cluster,
    readonly sharding: ClusterSharding,
    private readonly dir: string,
  ) {}

  static async start(): Promise<LocalNode> {
    const cluster = await Cluster.start({ name: BENCH_SYSTEM, host: '127.0.0.1', port: 0, secret: BENCH_SECRET, system: { logger: silentLogger } });
    await cluster.whenUp;
    const dir = mkdtempSync(join(tmpdir(), 'troupe-sharding-bench-'));
    Persistence.configure(cluster.system, { journals: { default: new SqliteJournal({ path: join(dir, 'journal.db') }) }, snapshotStores: { default: new InMemorySnapshotStore() } });
    const sharding = ClusterSharding.get(cluster);
    const node = cluster.selfAddress;
    sharding.init({ typeKey: PLAIN, create: () => new BenchEntity(node), stopMessage: STOP, passivation: ALWAYS_ACTIVE });
    sharding.init({ typeKey: PERSISTENT, create: (id) => new PersistentBenchEntity(`bench-${id}`, node), stopMessage: STOP, passivation: ALWAYS_ACTIVE });
    return new LocalNode(cluster, sharding, dir);
  }

  async close(): Promise<void> {
    await this.cluster.shutdown();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
