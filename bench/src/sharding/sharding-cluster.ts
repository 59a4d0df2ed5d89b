import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MultiNodeHarness, type NodeHandle } from '@troupe/testkit';
import type { AskAnswer } from './sharding-member.js';

const MEMBER_SCRIPT = fileURLToPath(new URL('./sharding-member.js', import.meta.url));
const REQUEST_TIMEOUT_MS = 30_000;

/** A member's membership view, as `sharding-member.js` reports it after every cluster event. */
export interface ShardingMemberView {
  readonly type: 'view';
  readonly address: string;
  readonly members: readonly { readonly address: string; readonly status: string }[];
  readonly unreachable: readonly string[];
  readonly leader: string | undefined;
}

/** A member's `sharding.stats` of the counter type. */
export interface MemberStats {
  readonly shards: number;
  readonly entities: number;
  readonly handoffs: number;
  readonly acquiring: number;
  readonly buffered: number;
}

/** How the members of one cluster start. */
export interface ShardingClusterOptions {
  /** The tuned settings of the package's tests instead of the package defaults. */
  readonly tuned: boolean;
  /** Persistent counter entities on one SQLite journal file shared by all members. */
  readonly persistent: boolean;
}

let clusters = 0;

/**
 * `sharding-member.js` processes on 127.0.0.1, loaded at once and started on demand
 * (so measured times exclude process start-up): member 0 founds the cluster, the
 * others join through it. Every process is killed by `close`.
 */
export class ShardingCluster {
  readonly typeName = `counter-${process.pid}-${++clusters}`;
  private seed: string | undefined;

  private constructor(
    private readonly harness: MultiNodeHarness,
    private readonly options: ShardingClusterOptions,
    private readonly dir: string,
  ) {}

  /** Forks `size` member processes and waits until each has loaded. */
  static async load(size: number, options: ShardingClusterOptions): Promise<ShardingCluster> {
    // TROUPE_BENCH_CPU_PROF_DIR: each member writes a CPU profile there when it exits (`close` lets them exit first).
    const profileDir = process.env.TROUPE_BENCH_CPU_PROF_DIR;
    const execArgv = ['--expose-gc', ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`])];
    const harness = await MultiNodeHarness.start({ script: MEMBER_SCRIPT, nodes: size, startOrder: 'parallel', startTimeoutMs: 60_000, execArgv });
    return new ShardingCluster(harness, options, mkdtempSync(join(tmpdir(), 'troupe-sharding-bench-')));
  }

  get nodes(): readonly NodeHandle[] {
    return this.harness.nodes;
  }

  /** Sends `command` to member `index` and resolves with its reply. */
  async request<R>(index: number, command: Readonly<Record<string, unknown>>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<R> {
    const reply = await this.harness.request<R & { error?: string }>(index, command, timeoutMs);
    if (reply.error !== undefined) throw new Error(`member ${index}: ${String(command.type)} failed: ${reply.error}`);
    return reply;
  }

  /** Starts member `index`'s node (the first one started founds the cluster); resolves with its address once it listens. */
  async start(index: number, roles: readonly string[] = [], seed = this.seed): Promise<string> {
    const reply = await this.request<{ address: string; hostPort: string }>(index, {
      type: 'start',
      seeds: seed === undefined ? [] : [seed],
      tuned: this.options.tuned,
      roles,
      typeName: this.typeName,
      ...(this.options.persistent ? { journal: join(this.dir, 'journal.db') } : {}),
    });
    this.seed ??= reply.hostPort;
    return reply.address;
  }

  /** The latest membership view of member `index`. */
  view(index: number): ShardingMemberView | undefined {
    const messages = this.harness.nodes[index]?.messages ?? [];
    for (let i = messages.length - 1; i >= 0; i--) if ((messages[i] as ShardingMemberView).type === 'view') return messages[i] as ShardingMemberView;
    return undefined;
  }

  /** Resolves once each of `indexes` sees exactly `addresses` as Up members. */
  waitUp(indexes: readonly number[], addresses: readonly string[], timeoutMs: number): Promise<void> {
    const seesAll = (index: number) => {
      const view = this.view(index);
      return view !== undefined && view.members.length === addresses.length && addresses.every((a) => view.members.some((m) => m.address === a && m.status === 'up'));
    };
    return this.harness.waitFor(() => indexes.every(seesAll), timeoutMs, `members ${indexes.join(', ')} to see ${addresses.length} Up`);
  }

  /** Member `from` asks every id (see `AskCommand`). */
  async ask(from: number, ids: readonly string[], options: { timeoutMs: number; deadlineMs: number; concurrency: number }): Promise<AskAnswer[]> {
    const reply = await this.request<{ answers: AskAnswer[] }>(from, { type: 'ask', ids, ...options }, options.deadlineMs + options.timeoutMs * 2 + REQUEST_TIMEOUT_MS);
    return reply.answers;
  }

  /** `sharding.stats` of the counter type on member `index`. */
  async stats(index: number): Promise<MemberStats> {
    return (await this.request<{ stats: MemberStats }>(index, { type: 'stats' })).stats;
  }

  /** Resolves with the first IPC message of member `index` from its `from`-th on that matches `predicate`. */
  async waitForMessage<T>(index: number, from: number, predicate: (message: unknown) => boolean, timeoutMs: number, what: string): Promise<T> {
    const node = this.harness.nodes[index];
    if (node === undefined) throw new Error(`no member ${index}`);
    let found: unknown;
    await this.harness.waitFor(
      () => {
        found = node.messages.slice(from).find(predicate);
        return found !== undefined;
      },
      timeoutMs,
      what,
    );
    return found as T;
  }

  /** SIGKILLs member `index` and resolves once it has exited. */
  kill(index: number): Promise<void> {
    return this.harness.kill(index);
  }

  /** Lets every live member exit (writing its CPU profile, if asked for), kills what is left and removes the journal. */
  async close(): Promise<void> {
    const live = this.harness.nodes.filter((node) => node.alive);
    for (const node of live) this.harness.send(node.index, { type: 'exit' });
    await this.harness.waitFor(() => live.every((node) => !node.alive), 5000, 'members to exit').catch(() => {});
    await this.harness.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes of one machine. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
