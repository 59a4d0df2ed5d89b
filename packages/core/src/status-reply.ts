import { StatusReplyError } from './errors.js';

/** The error half of a `StatusReply`: plain data, so it crosses nodes intact (an `Error` arrives as `{}`). */
export interface StatusError {
  /** Stable, machine-readable: the error's `code`, else its class name. */
  readonly code: string;
  /** For people. */
  readonly message: string;
}

/**
 * A reply that says whether the request succeeded: `{ ok: true, value }` or
 * `{ ok: false, error: { code, message } }`. Plain JSON, so it survives the cluster's
 * codec, where an `Error` object would arrive as `{}` (Akka's `StatusReply`).
 * @example
 * type Cmd = { type: 'withdraw'; amount: number; replyTo: ActorRef<StatusReply<number>> };
 * // in the actor:  replyTo.tell(StatusReply.success(balance))  or  replyTo.tell(StatusReply.error(error))
 * const balance = await StatusReply.unwrap(account.ask((replyTo) => ({ type: 'withdraw', amount: 5, replyTo })));
 */
export type StatusReply<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: StatusError };

/** Builds and reads `StatusReply` values. */
export const StatusReply = {
  /** A successful reply carrying `value`. */
  success<T>(value: T): StatusReply<T> {
    return { ok: true, value };
  },

  /**
   * An error reply from a thrown value: code from its `code` (a `TroupeError`'s, or any
   * string `code` field), else its class name, else `ERR_UNKNOWN`; message from its
   * `message`. `{ code, message }` given as such is kept.
   */
  error(error: unknown): StatusReply<never> {
    return { ok: false, error: { code: codeOf(error), message: messageOf(error) } };
  },

  /**
   * The value of a success; for an error reply, throws `StatusReplyError` with its
   * `code` and `message`. Given a Promise (an `ask`), returns a Promise that resolves or
   * rejects likewise. @throws TypeError for what is not a status reply
   */
  unwrap: unwrap as {
    <T>(reply: StatusReply<T>): T;
    <T>(reply: PromiseLike<StatusReply<T>>): Promise<T>;
  },
};

function unwrap<T>(reply: StatusReply<T> | PromiseLike<StatusReply<T>>): T | Promise<T> {
  if (isPromiseLike(reply)) return Promise.resolve(reply).then((settled) => unwrapValue(settled));
  return unwrapValue(reply);
}

function unwrapValue<T>(reply: StatusReply<T>): T {
  if (reply !== null && typeof reply === 'object') {
    if (reply.ok === true && 'value' in reply) return reply.value;
    if (reply.ok === false && reply.error !== null && typeof reply.error === 'object') throw new StatusReplyError(String(reply.error.code), String(reply.error.message));
  }
  throw new TypeError(`StatusReply.unwrap: not a status reply: ${JSON.stringify(reply)}`);
}

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<T>).then === 'function';
}

function codeOf(error: unknown): string {
  const code = error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && code !== '') return code;
  if (error instanceof Error) return error.name;
  return 'ERR_UNKNOWN';
}

function messageOf(error: unknown): string {
  const message = error !== null && typeof error === 'object' ? (error as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(error);
}
