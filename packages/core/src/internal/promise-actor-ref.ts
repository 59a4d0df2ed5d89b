import { ActorRef, REF_JSON_KEY, type RefJson, sendSystemMessage } from '../actor-ref.js';
import type { ActorSystem } from '../actor-system.js';
import { AskAbortedError, AskTimeoutError } from '../errors.js';
import type { Expirable } from './ask-timeouts.js';
import type { SystemMessage } from './system-message.js';
import type { SystemRuntime } from './system-runtime.js';

/**
 * The temporary ref behind one `ask`: the first message told to it resolves the
 * Promise; a timeout or an abort rejects it. Whatever settles first frees the timer
 * and the abort listener, and later replies go to dead letters.
 */
export class PromiseActorRef<R> extends ActorRef<R> implements Expirable {
  private settled = false;
  timeoutBucket = 0;
  private timeoutMs = 0;
  private signal: AbortSignal | undefined;
  private onAbort: (() => void) | undefined;
  private watchers: ActorRef<never>[] | undefined;

  constructor(
    private readonly runtime: SystemRuntime,
    private readonly id: number,
    private readonly target: ActorRef<never>,
    private readonly resolve: (value: R) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    super();
  }

  private cachedPath: string | undefined;
  /** `$<id>`: the last part of the path, under which it can be found while pending. */
  private name: string | undefined;

  get path(): string {
    // Built on first use only: most asks are local and never read it. A path handed out
    // (to another node, say) must lead back here, so from now until the ask settles
    // `resolveLocalRef` finds this ref by it.
    if (this.cachedPath === undefined) {
      this.name = `$${this.id.toString(36)}`;
      this.cachedPath = `${this.runtime.address}/temp/${this.name}`;
      if (!this.settled) this.runtime.tempRefs.add(this.name, this as PromiseActorRef<unknown>);
    }
    return this.cachedPath;
  }

  /** `{ "$troupe.ref": path }`; unlike other refs, nobody needs telling: the path alone finds a pending ask (see `path`). */
  override toJSON(): RefJson {
    return { [REF_JSON_KEY]: this.path };
  }

  get system(): ActorSystem {
    return this.runtime.publicSystem;
  }

  /** Arms the timeout and the abort signal. */
  start(timeoutMs: number, signal: AbortSignal | undefined): void {
    this.timeoutMs = timeoutMs;
    this.runtime.askTimeouts.add(this, timeoutMs);
    if (signal !== undefined) {
      this.signal = signal;
      this.onAbort = () => this.fail(new AskAbortedError(this.target.path, signal.reason));
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

  /** Called by the system's ask timeouts when the deadline has passed. */
  expire(): void {
    this.fail(new AskTimeoutError(this.target.path, this.timeoutMs));
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
    if (this.name !== undefined) this.runtime.tempRefs.remove(this.name);
    this.runtime.askTimeouts.remove(this);
    if (this.signal !== undefined && this.onAbort !== undefined) this.signal.removeEventListener('abort', this.onAbort);
    this.signal = undefined;
    this.onAbort = undefined;
    if (this.watchers !== undefined) {
      for (const watcher of this.watchers) watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: this as ActorRef<never> });
      this.watchers = undefined;
    }
  }
}
