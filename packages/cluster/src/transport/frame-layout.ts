import { type Envelope, type InboundEnvelope, type SerializedMessageEnvelope, isJsonMessage, isRelativePath, validateControlEnvelope } from './envelope.js';

/**
 * How a batch of envelopes is laid out in one frame, before the codec turns it into
 * bytes. Messages dominate traffic, so consecutive JSON messages to one recipient
 * travel as one array, which name their recipient by an index into a table sent once
 * per frame; a frame of messages to one actor is then little more than the array of
 * the messages themselves:
 *
 *     [recipients, item, item, …]
 *
 * - `recipients`: the distinct recipient paths of the frame's messages, relative to
 *   the receiving node (`/user/orders`).
 * - `[i, value, value, …]`: a run of JSON messages to `recipients[i]`, in order (refs
 *   in them written as `{ "$ref": path }`).
 * - `{"k":"msg","to":i,"s":serializerId,"m":manifest,"t":text}` (or `"b":base64`, and
 *   `"r":1` when it holds refs): a message serialised by a serializer of its own.
 * - any other envelope, as an object (see envelope.ts).
 */

/** Lays out `envelopes[from, to)` as one frame. */
export function layOutFrame(envelopes: readonly Envelope[], from: number, to: number): unknown[] {
  const recipients: string[] = [];
  // Most frames name a handful of recipients: a scan of the table beats a Map until it grows.
  let indexOf: Map<string, number> | undefined;
  const frame: unknown[] = [recipients];
  const recipientIndex = (path: string): number => {
    let index = indexOf === undefined ? recipients.indexOf(path) : (indexOf.get(path) ?? -1);
    if (index < 0) {
      index = recipients.length;
      recipients.push(path);
      indexOf?.set(path, index);
      if (indexOf === undefined && recipients.length > 8) indexOf = new Map(recipients.map((p, i) => [p, i]));
    }
    return index;
  };
  let run: unknown[] | undefined;
  let runTo = '';
  for (let i = from; i < to; i++) {
    const envelope = envelopes[i] as Envelope;
    if (envelope.k === 'msg' && isJsonMessage(envelope)) {
      if (run === undefined || envelope.to !== runTo) {
        runTo = envelope.to;
        run = [recipientIndex(runTo)];
        frame.push(run);
      }
      run.push(envelope.v);
      continue;
    }
    run = undefined;
    if (envelope.k === 'msg') {
      const { s, m, t, b, r } = envelope;
      frame.push({ k: 'msg', to: recipientIndex(envelope.to), s, m, ...(t === undefined ? { b } : { t }), ...(r ? { r: 1 } : {}) });
    } else frame.push(envelope);
  }
  return frame;
}

/**
 * The recipient table at the head of a decoded frame.
 * @throws TypeError when the frame does not start with one (a malformed frame)
 */
export function recipientsOf(frame: readonly unknown[]): readonly string[] {
  const recipients = frame[0];
  if (!Array.isArray(recipients) || !recipients.every(isRelativePath)) throw new TypeError('frame does not start with a table of recipient paths');
  return recipients;
}

/** Receives a run of JSON messages to one recipient: `run[1]`, `run[2]`, … in order (`run[0]` is the recipient's index). */
export type RunListener = (to: string, run: readonly unknown[]) => void;

/**
 * Reads a decoded frame in order: calls `deliverRun` with each run of JSON messages and
 * `deliver` with each other valid envelope; returns how many items were malformed (skipped).
 */
export function readFrame(frame: readonly unknown[], recipients: readonly string[], deliver: (envelope: InboundEnvelope) => void, deliverRun: RunListener): number {
  let malformed = 0;
  for (let i = 1; i < frame.length; i++) {
    const item = frame[i];
    if (Array.isArray(item)) {
      const to = recipientAt(recipients, item[0]);
      if (to === undefined || item.length < 2) malformed++;
      else deliverRun(to, item);
    } else {
      const envelope = item !== null && typeof item === 'object' && (item as { k?: unknown }).k === 'msg' ? readSerializedMessage(item as Record<string, unknown>, recipients) : validateControlEnvelope(item);
      if (envelope === undefined) malformed++;
      else deliver(envelope);
    }
  }
  return malformed;
}

function readSerializedMessage(item: Record<string, unknown>, recipients: readonly string[]): SerializedMessageEnvelope | undefined {
  const to = recipientAt(recipients, item.to);
  const { s, m, t, b } = item;
  if (to === undefined || typeof s !== 'string' || typeof m !== 'string') return undefined;
  const r = item.r === 1;
  if (typeof t === 'string') return { k: 'msg', to, s, m, t, r };
  if (typeof b === 'string') return { k: 'msg', to, s, m, b, r };
  return undefined;
}

function recipientAt(recipients: readonly string[], index: unknown): string | undefined {
  return typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < recipients.length ? recipients[index] : undefined;
}
