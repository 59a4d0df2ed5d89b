import { ActorRef, sendSystemMessage } from '../actor-ref.js';
import type { ActorSystem } from '../actor-system.js';
import type { Cancellable } from '../clock.js';
import { AskAbortedError, AskTimeoutError } from '../errors.js';
import type { SystemMessage } from './system-message.js';
import type { SystemRuntime } from './system-runtime.js';

/**
 * The temporary ref behind one `ask`: the first message told to it resolves the
 * Promise; a timeout or an abort rejects it. Whatever settles first frees the timer
 * and the abort listener, and later replies go to dead letters.
 */
export class PromiseActorRef<R> extends ActorRef<R> {
  private settled = false;
  private timer: Cancellable | undefined;
  private signal: AbortSignal | undefined;
  private onAbort: (() => void) | undefined;
  private watchers: ActorRef<never>[] | undefined;

  constructor(
    private readonly runtime: SystemRuntime,
    private readonly id: string,
    private readonly targetPath: string,
    private readonly resolve: (value: R) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    super();
  }

  get path(): string {
    return `${this.runtime.address}/temp/${this.id}`;
  }

  get system(): ActorSystem {
    return this.runtime.publicSystem;
  }

  /** Arms the timeout and the abort signal. */
  start(timeoutMs: number, signal: AbortSignal | undefined): void {
    this.timer = this.runtime.clock.schedule(timeoutMs, () => this.fail(new AskTimeoutError(this.targetPath, timeoutMs)));
    if (signal !== undefined) {
      this.signal = signal;
      this.onAbort = () => this.fail(new AskAbortedError(this.targetPath, signal.reason));
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  tell(reply: R): void {
    if (this.settled) {
      this.runtime.deadLetter(reply, this.path, 'ask-already-completed');
      return;
    }
    this.finish();
    this.resolve(reply);
  }

  /** Rejects the ask unless it has settled already. */
  fail(error: unknown): void {
    if (this.settled) return;
    this.finish();
    this.reject(error);
  }

  [sendSystemMessage](message: SystemMessage): void {
    // Watching a temporary ref is allowed: it "terminates" when the ask settles.
    if (message.kind === 'watch') {
      if (this.settled) message.watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: this as ActorRef<never> });
      else (this.watchers ??= []).push(message.watcher);
    }
  }

  private finish(): void {
    this.settled = true;
    this.timer?.cancel();
    this.timer = undefined;
    if (this.signal !== undefined && this.onAbort !== undefined) this.signal.removeEventListener('abort', this.onAbort);
    this.signal = undefined;
    this.onAbort = undefined;
    if (this.watchers !== undefined) {
      for (const watcher of this.watchers) watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: this as ActorRef<never> });
      this.watchers = undefined;
    }
  }
}
