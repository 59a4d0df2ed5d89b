import { type ChildProcess, fork } from 'node:child_process';

/** Options of `MultiNodeHarness.start`. */
export interface MultiNodeHarnessOptions {
  /** The node script each child runs (a JS module path). */
  readonly script: string;
  /** How many nodes to start. */
  readonly nodes: number;
  /** Arguments of node `index`; `started` holds the first message of every node started before it. */
  readonly args?: (index: number, started: readonly unknown[]) => readonly string[];
  /** Extra environment of node `index`. */
  readonly env?: (index: number, started: readonly unknown[]) => Readonly<Record<string, string>>;
  /** Node flags of the children. @default [] */
  readonly execArgv?: readonly string[];
  /** Start nodes one after another (each waits for the previous one's first message) or all at once. @default 'sequential' */
  readonly startOrder?: 'sequential' | 'parallel';
  /** Deadline for each node's first message. @default 10000 */
  readonly startTimeoutMs?: number;
  /** Pass the children's stdout/stderr through. @default false (stderr is kept for error messages) */
  readonly inheritOutput?: boolean;
}

/** One child node as the harness sees it. */
export interface NodeHandle {
  readonly index: number;
  readonly process: ChildProcess;
  /** Every IPC message the node sent, oldest first. */
  readonly messages: unknown[];
  /** The most recent IPC message. */
  readonly last: unknown;
  /** False once the process exited. */
  readonly alive: boolean;
  /** Exit code or signal, once exited. */
  readonly exit: { readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined;
}

class Node implements NodeHandle {
  readonly messages: unknown[] = [];
  alive = true;
  exit: NodeHandle['exit'];
  stderr = '';
  constructor(
    readonly index: number,
    readonly process: ChildProcess,
  ) {}
  get last(): unknown {
    return this.messages[this.messages.length - 1];
  }
}

let requestCounter = 0;

/**
 * Starts N real nodes as child processes (`child_process.fork`) and talks to them over
 * the IPC channel: each node script reports with `process.send(...)` and receives
 * commands with `process.on('message')`. Generic: it knows nothing of the cluster; the
 * node script decides what to report and which commands it understands.
 *
 * Every child is killed by `cleanup()` (and when this process exits), so a failed test
 * never leaves nodes behind.
 *
 * @example
 * const harness = await MultiNodeHarness.start({ script, nodes: 3, args: (i, started) => [...] });
 * await harness.waitFor(() => harness.nodes.every((n) => upCount(n.last) === 3), 10_000);
 * harness.kill(2);
 * await harness.cleanup();
 */
export class MultiNodeHarness {
  private readonly list: Node[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly onExit = () => this.killAll();

  private constructor(private readonly options: MultiNodeHarnessOptions) {
    process.once('exit', this.onExit);
  }

  /** Starts the nodes and resolves when each has sent its first message. */
  static async start(options: MultiNodeHarnessOptions): Promise<MultiNodeHarness> {
    if (typeof options?.script !== 'string') throw new TypeError('MultiNodeHarness: script must be a path');
    if (!(Number.isInteger(options.nodes) && options.nodes > 0 && options.nodes <= 32)) throw new RangeError(`MultiNodeHarness: nodes must be an integer in 1..32, got ${options.nodes}`);
    const harness = new MultiNodeHarness(options);
    try {
      if (options.startOrder === 'parallel') await Promise.all(Array.from({ length: options.nodes }, () => harness.startNode()));
      else for (let i = 0; i < options.nodes; i++) await harness.startNode();
    } catch (error) {
      await harness.cleanup();
      throw error;
    }
    return harness;
  }

  /** The nodes, in start order. */
  get nodes(): readonly NodeHandle[] {
    return this.list;
  }

  /** The first message of every node (e.g. its address). */
  get startMessages(): unknown[] {
    return this.list.map((node) => node.messages[0]);
  }

  /** Starts one more node (index = current count) and resolves with it after its first message. */
  async startNode(): Promise<NodeHandle> {
    const index = this.list.length;
    const started = this.list.map((node) => node.messages[0]);
    const child = fork(this.options.script, [...(this.options.args?.(index, started) ?? [])], {
      env: { ...process.env, ...(this.options.env?.(index, started) ?? {}) },
      execArgv: [...(this.options.execArgv ?? [])],
      stdio: this.options.inheritOutput === true ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const node = new Node(index, child);
    this.list.push(node);
    child.stderr?.on('data', (chunk: Buffer) => {
      node.stderr = (node.stderr + chunk.toString()).slice(-4000);
    });
    child.on('message', (message) => {
      node.messages.push(message);
      if (node.messages.length > 10_000) node.messages.splice(1, 1000);
      this.notify();
    });
    child.on('exit', (code, signal) => {
      node.alive = false;
      node.exit = { code, signal };
      this.notify();
    });
    child.on('error', () => {});
    await this.waitFor(() => node.messages.length > 0 || !node.alive, this.options.startTimeoutMs ?? 10_000, `node ${index} to start`);
    if (!node.alive) throw new Error(`MultiNodeHarness: node ${index} exited before reporting (${JSON.stringify(node.exit)}): ${node.stderr}`);
    return node;
  }

  /** Sends a command to node `index` over IPC. */
  send(index: number, command: unknown): void {
    const node = this.node(index);
    if (node.alive && node.process.connected) node.process.send(command as object);
  }

  /**
   * Sends `{ ...command, requestId }` and resolves with the first message carrying
   * `replyTo: requestId`.
   */
  async request<R = unknown>(index: number, command: Readonly<Record<string, unknown>>, timeoutMs = 5000): Promise<R> {
    const requestId = ++requestCounter;
    const node = this.node(index);
    const from = node.messages.length;
    this.send(index, { ...command, requestId });
    let reply: unknown;
    await this.waitFor(
      () => {
        reply = node.messages.slice(from).find((m) => (m as { replyTo?: unknown } | null)?.replyTo === requestId);
        return reply !== undefined;
      },
      timeoutMs,
      `node ${index} to answer ${JSON.stringify(command)}`,
    );
    return reply as R;
  }

  /**
   * Resolves once `condition` holds (checked now and after every message or exit);
   * rejects after `timeoutMs` with `what` in the error. The deadline only fails a broken test.
   */
  waitFor(condition: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        let ok: boolean;
        try {
          ok = condition();
        } catch (error) {
          done();
          reject(error);
          return;
        }
        if (ok) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`MultiNodeHarness: timed out after ${timeoutMs} ms waiting for ${what}; last messages: ${this.describeLast()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /** Kills node `index` with SIGKILL (no goodbye to its peers) and resolves when it has exited. */
  async kill(index: number): Promise<void> {
    const node = this.node(index);
    if (!node.alive) return;
    node.process.kill('SIGKILL');
    await this.waitFor(() => !node.alive, 5000, `node ${index} to exit after SIGKILL`);
  }

  /**
   * Freezes node `index` with SIGSTOP, as a long GC pause or a stalled VM would: it
   * neither runs nor answers until `resume`, but its sockets stay open.
   */
  suspend(index: number): void {
    const node = this.node(index);
    if (node.alive) node.process.kill('SIGSTOP');
  }

  /** Lets a node frozen by `suspend` run again (SIGCONT). */
  resume(index: number): void {
    const node = this.node(index);
    if (node.alive) node.process.kill('SIGCONT');
  }

  /** Kills every node still running and resolves when all have exited. */
  async cleanup(): Promise<void> {
    this.killAll();
    await this.waitFor(() => this.list.every((node) => !node.alive), 5000, 'every node to exit').catch(() => {});
    process.off('exit', this.onExit);
  }

  private killAll(): void {
    for (const node of this.list) if (node.alive) node.process.kill('SIGKILL');
  }

  private node(index: number): Node {
    const node = this.list[index];
    if (node === undefined) throw new RangeError(`MultiNodeHarness: no node ${index} (have ${this.list.length})`);
    return node;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private describeLast(): string {
    return this.list.map((node) => `#${node.index}${node.alive ? '' : ' (exited)'} ${JSON.stringify(node.last)?.slice(0, 300)}`).join(' | ');
  }
}
