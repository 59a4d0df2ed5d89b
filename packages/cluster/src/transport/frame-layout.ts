import { type Envelope, type InboundEnvelope, type SerializedMessageEnvelope, isJsonMessage, isRelativePath, validateControlEnvelope } from './envelope.js';

/**
 * How a batch of envelopes is laid out in one frame, before the codec turns it into
 * bytes. Messages dominate traffic, so consecutive JSON messages to one recipient
 * travel as a run: the recipient, a count, then the messages themselves, all flat in
 * the frame's one array (every array or object a frame adds costs its reader and its
 * writer, per frame, and a lone ask or reply is most of a quiet connection's traffic):
 *
 *     [recipient, count, message, message, …, envelope, recipient, count, message, …]
 *
 * - `recipient`: the recipient's path relative to the receiving node (`/user/orders`)
 *   the first time the frame names it; after that, its number: 0 for the first
 *   recipient the frame named, 1 for the second, and so on.
 * - `count` (≥ 1): how many messages follow in the run (refs in them written as
 *   `{ "$troupe.ref": path }`).
 * - any other envelope is an object (see envelope.ts), which no recipient is; a message
 *   serialised by a serializer of its own is `{"k":"msg","to":recipient,"s":serializerId,
 *   "m":manifest,"t":text}` (or `"b":base64`, and `"r":1` when it holds refs).
 */

/**
 * Lays out `envelopes[from, to)` as one frame; a JSON message alone in its frame is
 * written as `writeLone(message)`.
 */
export function layOutFrame(envelopes: readonly (Envelope | undefined)[], from: number, to: number, writeLone: (value: unknown) => unknown = (value) => value): unknown[] {
  const first = envelopes[from] as Envelope;
  // The commonest frame on a quiet connection, one JSON message (an ask, its reply), built at its final size.
  if (to - from === 1 && first.k === 'msg' && isJsonMessage(first)) return [first.to, 1, writeLone(first.v)];
  const recipients = new RecipientTable();
  const frame: unknown[] = [];
  let runTo = '';
  /** Where the count of the open run is, or -1 when none is open. */
  let countAt = -1;
  for (let i = from; i < to; i++) {
    const envelope = envelopes[i] as Envelope;
    if (envelope.k === 'msg' && isJsonMessage(envelope)) {
      if (countAt < 0 || envelope.to !== runTo) {
        runTo = envelope.to;
        frame.push(recipients.refer(runTo));
        countAt = frame.length;
        frame.push(0);
      }
      frame.push(envelope.v);
      frame[countAt] = (frame[countAt] as number) + 1;
      continue;
    }
    countAt = -1;
    if (envelope.k === 'msg') {
      const { s, m, t, b, r } = envelope;
      frame.push({ k: 'msg', to: recipients.refer(envelope.to), s, m, ...(t === undefined ? { b } : { t }), ...(r ? { r: 1 } : {}) });
    } else frame.push(envelope);
  }
  return frame;
}

/** The recipients a frame being written has named so far, by path, with their numbers. */
class RecipientTable {
  private readonly paths: string[] = [];
  /** Most frames name a handful of recipients: a scan of `paths` beats a Map until it grows. */
  private byPath: Map<string, number> | undefined;

  /** How the frame refers to `path` now: by its path the first time, then by its number. */
  refer(path: string): string | number {
    const known = this.byPath === undefined ? this.paths.indexOf(path) : (this.byPath.get(path) ?? -1);
    if (known >= 0) return known;
    this.paths.push(path);
    if (this.byPath !== undefined) this.byPath.set(path, this.paths.length - 1);
    else if (this.paths.length > 8) this.byPath = new Map(this.paths.map((p, i) => [p, i]));
    return path;
  }
}

/**
 * Receives a run of JSON messages to one recipient: `frame[start]` to `frame[end - 1]`,
 * in order (the frame's own array, so a run costs no array of its own).
 */
export type RunListener = (to: string, frame: readonly unknown[], start: number, end: number) => void;

/**
 * Reads a decoded frame in order: calls `deliverRun` with each run of JSON messages and
 * `deliver` with each other valid envelope; returns how many items were malformed. A
 * malformed envelope is skipped; a malformed run header ends the reading (where the next
 * item starts is unknown), counted as one.
 */
export function readFrame(frame: readonly unknown[], deliver: (envelope: InboundEnvelope) => void, deliverRun: RunListener): number {
  const recipients: string[] = [];
  let malformed = 0;
  let i = 0;
  while (i < frame.length) {
    const item = frame[i];
    if (item !== null && typeof item === 'object') {
      const envelope = Array.isArray(item) ? undefined : (item as { k?: unknown }).k === 'msg' ? readSerializedMessage(item as Record<string, unknown>, recipients) : validateControlEnvelope(item);
      if (envelope === undefined) malformed++;
      else deliver(envelope);
      i++;
      continue;
    }
    const to = recipientNamed(item, recipients);
    const count = frame[i + 1];
    if (to === undefined || typeof count !== 'number' || !Number.isInteger(count) || count < 1 || i + 2 + count > frame.length) return malformed + 1;
    deliverRun(to, frame, i + 2, i + 2 + count);
    i += 2 + count;
  }
  return malformed;
}

function readSerializedMessage(item: Record<string, unknown>, recipients: string[]): SerializedMessageEnvelope | undefined {
  const to = recipientNamed(item.to, recipients);
  const { s, m, t, b } = item;
  if (to === undefined || typeof s !== 'string' || typeof m !== 'string') return undefined;
  const r = item.r === 1;
  if (typeof t === 'string') return { k: 'msg', to, s, m, t, r };
  if (typeof b === 'string') return { k: 'msg', to, s, m, b, r };
  return undefined;
}

/** The recipient that `named` (a new relative path, or the number of one named before) stands for; a new path joins `recipients`. */
function recipientNamed(named: unknown, recipients: string[]): string | undefined {
  if (typeof named === 'number') return Number.isInteger(named) && named >= 0 && named < recipients.length ? recipients[named] : undefined;
  if (!isRelativePath(named)) return undefined;
  recipients.push(named);
  return named;
}
