/**
 * Base class of every runtime and I/O error Troupe raises. `code` is stable across
 * releases and safe to switch on; `message` is for people.
 */
export class TroupeError extends Error {
  /** Stable machine-readable code, e.g. `ERR_ASK_TIMEOUT`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An `ask` got no reply within its timeout. */
export class AskTimeoutError extends TroupeError {
  constructor(target: string, timeoutMs: number) {
    super('ERR_ASK_TIMEOUT', `ask to ${target} timed out after ${timeoutMs} ms`);
  }
}

/** An `ask` was aborted through its AbortSignal before a reply arrived. */
export class AskAbortedError extends TroupeError {
  constructor(target: string, reason: unknown) {
    super('ERR_ASK_ABORTED', `ask to ${target} was aborted`, { cause: reason });
  }
}

/** A factory, constructor or `preStart` threw: the actor could not be (re)created. */
export class ActorInitializationError extends TroupeError {
  constructor(path: string, cause: unknown) {
    super('ERR_ACTOR_INITIALIZATION', `could not create ${path}: ${describe(cause)}`, { cause });
  }
}

/** A bounded mailbox with the `fail` overflow policy was full. */
export class MailboxOverflowError extends TroupeError {
  constructor(path: string, capacity: number) {
    super('ERR_MAILBOX_OVERFLOW', `mailbox of ${path} is full (capacity ${capacity})`);
  }
}

/** `stash()` was called with the stash at its capacity. */
export class StashOverflowError extends TroupeError {
  constructor(path: string, capacity: number) {
    super('ERR_STASH_OVERFLOW', `stash of ${path} is full (capacity ${capacity})`);
  }
}

/** A child name is already taken by a live (or stopping) sibling. */
export class ActorNameTakenError extends TroupeError {
  constructor(parentPath: string, name: string) {
    super('ERR_ACTOR_NAME_TAKEN', `${parentPath} already has a child named "${name}"`);
  }
}

/** The actor system has terminated (or is terminating) and cannot do what was asked. */
export class SystemTerminatedError extends TroupeError {
  constructor(systemName: string, what: string) {
    super('ERR_SYSTEM_TERMINATED', `actor system "${systemName}" is terminated: cannot ${what}`);
  }
}

/** The running Node.js is older than Troupe needs (it uses `Promise.withResolvers`, `node:sqlite` and more). */
export class UnsupportedNodeError extends TroupeError {
  constructor(required: string, found: string, fix: string) {
    super('ERR_UNSUPPORTED_NODE', `Troupe needs Node.js >= ${required}, found ${found}; ${fix}`);
  }
}

/**
 * Two copies of `@troupe/core` are loaded in one process (e.g. a plugin that installed its
 * own instead of sharing the app's): refs, actors and plugin registrations of one copy are
 * foreign to the other, so systems would misbehave in ways hard to trace. Refused at once.
 */
export class DuplicateCoreError extends TroupeError {
  constructor(first: string, second: string) {
    super(
      'ERR_DUPLICATE_CORE',
      `two copies of @troupe/core are loaded: ${first} and ${second}; packages built on it take it as a peer dependency — run \`npm ls @troupe/core\` and \`npm dedupe\` so that one copy remains`,
    );
  }
}

/**
 * An error reply (`StatusReply.error`) turned back into an error by `StatusReply.unwrap`:
 * `code` and `message` are those the replying actor sent.
 */
export class StatusReplyError extends TroupeError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** A child failed and its supervisor escalated the failure to this actor. */
export class EscalatedFailureError extends TroupeError {
  constructor(childPath: string, cause: unknown) {
    super('ERR_ESCALATED', `failure of child ${childPath} escalated: ${describe(cause)}`, { cause });
  }
}

/** Short text for an unknown thrown value, for log lines and messages. */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
