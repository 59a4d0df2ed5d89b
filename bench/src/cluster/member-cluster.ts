import { fileURLToPath } from 'node:url';
import { MultiNodeHarness, type NodeHandle } from '@troupe/testkit';
import type { MemberCounters, MemberView } from './cluster-member.js';

const MEMBER_SCRIPT = fileURLToPath(new URL('./cluster-member.js', import.meta.url));
const REQUEST_TIMEOUT_MS = 30_000;

/** N member processes (`cluster-member.js`) on 127.0.0.1, loaded but not yet started. */
export class MemberCluster {
  private constructor(private readonly harness: MultiNodeHarness) {}

  /** Forks `size` member processes and waits until each has loaded. */
  static async load(size: number): Promise<MemberCluster> {
    const harness = await MultiNodeHarness.start({ script: MEMBER_SCRIPT, nodes: size, startOrder: 'parallel', startTimeoutMs: 60_000 });
    return new MemberCluster(harness);
  }

  get size(): number {
    return this.harness.nodes.length;
  }

  get nodes(): readonly NodeHandle[] {
    return this.harness.nodes;
  }

  /** Sends `command` to member `index` and resolves with its reply. */
  async request<R>(index: number, command: Readonly<Record<string, unknown>>): Promise<R> {
    const reply = await this.harness.request<R & { error?: string }>(index, command, REQUEST_TIMEOUT_MS);
    if (reply.error !== undefined) throw new Error(`member ${index}: ${String(command.type)} failed: ${reply.error}`);
    return reply;
  }

  /** Tells member `index` to start its node (no reply awaited). */
  send(index: number, command: Readonly<Record<string, unknown>>): void {
    this.harness.send(index, command);
  }

  /** The most recent membership view of member `index`, if it reported one. */
  view(index: number): MemberView | undefined {
    const messages = this.harness.nodes[index]?.messages ?? [];
    for (let i = messages.length - 1; i >= 0; i--) if ((messages[i] as MemberView).type === 'view') return messages[i] as MemberView;
    return undefined;
  }

  /** Every live member's envelope counters, requested at once. */
  counters(indexes: readonly number[]): Promise<MemberCounters[]> {
    return Promise.all(indexes.map((index) => this.request<MemberCounters>(index, { type: 'counters' })));
  }

  /** Resolves once `condition` holds (checked after every IPC message or exit); rejects after `timeoutMs`. */
  waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return this.harness.waitFor(condition, timeoutMs, what);
  }

  /** SIGKILLs member `index` and resolves once it has exited. */
  kill(index: number): Promise<void> {
    return this.harness.kill(index);
  }

  /** Kills every member process. */
  close(): Promise<void> {
    return this.harness.cleanup();
  }
}
