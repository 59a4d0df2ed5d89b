import type { PersistentRepr } from '@troupe/persistence';
import { EnvelopeFormatError } from './kafka-errors.js';

/**
 * The record format of every journal topic and event topic: plain Kafka, readable by any
 * client in any language without Troupe's code.
 *
 * | part      | content                                                              |
 * |-----------|----------------------------------------------------------------------|
 * | key       | the persistence id, UTF-8                                            |
 * | value     | the serialised event, exactly as the serializer wrote it             |
 * | timestamp | the event's timestamp (CreateTime), ms since the epoch               |
 * | headers   | UTF-8 strings, below                                                 |
 *
 * Headers: `troupe.v` envelope version (`1`); `troupe.pid` persistence id; `troupe.seq`
 * sequence number (decimal); `troupe.ser` serializer id (e.g. `json`); `troupe.manifest`
 * the serializer's manifest; `troupe.event-manifest` the event adapter's manifest (may be
 * empty); `troupe.tags` a JSON array of strings; `troupe.ts` the timestamp again (decimal
 * ms: exact even on topics with `message.timestamp.type=LogAppendTime`); `troupe.writer`
 * the writer's uuid.
 */
export const ENVELOPE_VERSION = '1';

/** Header names of the envelope. */
export const EnvelopeHeaders = {
  version: 'troupe.v',
  persistenceId: 'troupe.pid',
  sequenceNr: 'troupe.seq',
  serializerId: 'troupe.ser',
  manifest: 'troupe.manifest',
  eventManifest: 'troupe.event-manifest',
  tags: 'troupe.tags',
  timestamp: 'troupe.ts',
  writerUuid: 'troupe.writer',
} as const;

/** An event as read from a Kafka topic: the stored event plus where it was read. */
export interface KafkaEventEnvelope extends PersistentRepr {
  /** The topic it was read from. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** The key, headers and value of one event's record. */
export interface EncodedEnvelope {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly headers: readonly (readonly [string, Buffer])[];
  readonly timestamp: number;
  /** Bytes the record adds to a produce request, roughly (for size limits). */
  readonly size: number;
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const VERSION_BYTES = utf8(ENVELOPE_VERSION);
const NO_TAGS_BYTES = utf8('[]');
const EMPTY_BYTES = Buffer.alloc(0);

/** Encodes an event as its record (see the format above). */
export function encodeEnvelope(event: PersistentRepr): EncodedEnvelope {
  const value = Buffer.from(event.payload.buffer, event.payload.byteOffset, event.payload.byteLength);
  const key = utf8(event.persistenceId);
  const headers: (readonly [string, Buffer])[] = [
    [EnvelopeHeaders.version, VERSION_BYTES],
    [EnvelopeHeaders.persistenceId, key],
    [EnvelopeHeaders.sequenceNr, utf8(String(event.sequenceNr))],
    [EnvelopeHeaders.serializerId, utf8(event.serializerId)],
    [EnvelopeHeaders.manifest, utf8(event.manifest)],
    [EnvelopeHeaders.eventManifest, event.eventManifest === '' ? EMPTY_BYTES : utf8(event.eventManifest)],
    [EnvelopeHeaders.tags, event.tags.length === 0 ? NO_TAGS_BYTES : utf8(JSON.stringify(event.tags))],
    [EnvelopeHeaders.timestamp, utf8(String(event.timestamp))],
    [EnvelopeHeaders.writerUuid, utf8(event.writerUuid)],
  ];
  let size = key.byteLength + value.byteLength + 32;
  for (const [name, bytes] of headers) size += name.length + bytes.byteLength + 4;
  return { key, value, headers, timestamp: event.timestamp, size };
}

/** The fields of a record that the decoder reads. */
export interface RecordParts {
  readonly value: Buffer | null;
  readonly headers: readonly (readonly [Buffer | string | null, Buffer | null])[];
}

const NO_TAGS: readonly string[] = Object.freeze([]);

type Field = 'version' | 'persistenceId' | 'sequenceNr' | 'serializerId' | 'manifest' | 'eventManifest' | 'tags' | 'timestamp' | 'writerUuid';

/** Header names as bytes, grouped by length, so a name is recognised without making a string. */
const FIELDS_BY_LENGTH = new Map<number, (readonly [Buffer, Field])[]>();
for (const [field, name] of Object.entries(EnvelopeHeaders) as [Field, string][]) {
  const bytes = Buffer.from(name, 'latin1');
  const list = FIELDS_BY_LENGTH.get(bytes.length) ?? [];
  list.push([bytes, field]);
  FIELDS_BY_LENGTH.set(bytes.length, list);
}

/** The header names in the order `encodeEnvelope` writes them. */
const FIELDS_IN_ORDER: readonly (readonly [Buffer, Field])[] = (Object.entries(EnvelopeHeaders) as [Field, string][]).map(([field, name]) => [Buffer.from(name, 'latin1'), field]);

/**
 * The field a header names. Records written by `encodeEnvelope` carry the headers in its
 * order, so the name expected at `position` is tried first: one comparison per header
 * instead of a lookup and a scan of the names of that length.
 */
function fieldAt(name: Buffer | string, position: number): Field | undefined {
  const expected = FIELDS_IN_ORDER[position];
  if (expected !== undefined && typeof name !== 'string' && sameBytes(name, expected[0])) return expected[1];
  return fieldOf(name);
}

function fieldOf(name: Buffer | string): Field | undefined {
  const bytes = typeof name === 'string' ? Buffer.from(name, 'latin1') : name;
  const candidates = FIELDS_BY_LENGTH.get(bytes.length);
  if (candidates === undefined) return undefined;
  for (const [known, field] of candidates) if (sameBytes(bytes, known)) return field;
  return undefined;
}

/**
 * Byte equality of two short buffers in plain JavaScript. `Buffer.equals` crosses into
 * C++ on every call, which cost ~0.8 µs per replayed record (nine header names and five
 * interned values each): the largest part of envelope decoding in a CPU profile of a
 * 100,000-event recovery.
 */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const length = a.length;
  if (length !== b.length) return false;
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A decimal number straight from its ASCII bytes (no string); NaN when not one. */
function decimal(bytes: Buffer): number {
  if (bytes.length === 0 || bytes.length > 16) return bytes.length === 0 ? NaN : Number(bytes.toString('latin1'));
  let start = 0;
  let sign = 1;
  if (bytes[0] === 0x2d) {
    sign = -1;
    start = 1;
    if (bytes.length === 1) return NaN;
  }
  let value = 0;
  for (let i = start; i < bytes.length; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return sign * value;
}

/** Remembers the last bytes and string of one field: replays repeat the same ids and manifests. */
class InternedText {
  private bytes: Buffer | undefined;
  private text = '';
  of(bytes: Buffer): string {
    if (this.bytes === undefined || !sameBytes(this.bytes, bytes)) {
      this.text = bytes.toString('utf8');
      // A copy, so a kept slice never pins a whole fetched response in memory.
      this.bytes = Buffer.from(bytes);
    }
    return this.text;
  }
}

/**
 * Decodes records written by `encodeEnvelope`. One decoder per stream of records (a
 * replay, an event stream) reuses the strings that repeat from record to record.
 */
export class EnvelopeDecoder {
  private readonly persistenceId = new InternedText();
  private readonly serializerId = new InternedText();
  private readonly manifest = new InternedText();
  private readonly eventManifest = new InternedText();
  private readonly writerUuid = new InternedText();
  private readonly tags = new InternedText();
  private lastTags: readonly string[] = NO_TAGS;
  private lastTagsText = '[]';

  /** @throws EnvelopeFormatError when a header is missing or malformed */
  decode(record: RecordParts): PersistentRepr {
    let version: Buffer | undefined;
    let persistenceId: string | undefined;
    let sequenceNr = NaN;
    let serializerId: string | undefined;
    let manifest: string | undefined;
    let eventManifest = '';
    let tagsText: string | undefined;
    let timestamp = NaN;
    let writerUuid: string | undefined;
    let seenSeq = false;
    let seenTs = false;
    const headers = record.headers;
    for (let i = 0; i < headers.length; i++) {
      const header = headers[i]!;
      const name = header[0];
      const value = header[1];
      if (name === null || value === null) continue;
      switch (fieldAt(name, i)) {
        case 'version':
          version = value;
          break;
        case 'persistenceId':
          persistenceId = this.persistenceId.of(value);
          break;
        case 'sequenceNr':
          sequenceNr = decimal(value);
          seenSeq = true;
          break;
        case 'serializerId':
          serializerId = this.serializerId.of(value);
          break;
        case 'manifest':
          manifest = this.manifest.of(value);
          break;
        case 'eventManifest':
          eventManifest = value.length === 0 ? '' : this.eventManifest.of(value);
          break;
        case 'tags':
          tagsText = this.tags.of(value);
          break;
        case 'timestamp':
          timestamp = decimal(value);
          seenTs = true;
          break;
        case 'writerUuid':
          writerUuid = this.writerUuid.of(value);
          break;
        default:
          break;
      }
    }
    const missing = (name: string): never => {
      throw new EnvelopeFormatError(`header ${name} is missing`);
    };
    if (version === undefined) return missing(EnvelopeHeaders.version);
    if (!version.equals(VERSION_BYTES)) throw new EnvelopeFormatError(`unsupported envelope version ${version.toString('utf8')}`);
    if (persistenceId === undefined) return missing(EnvelopeHeaders.persistenceId);
    if (!seenSeq) return missing(EnvelopeHeaders.sequenceNr);
    if (serializerId === undefined) return missing(EnvelopeHeaders.serializerId);
    if (manifest === undefined) return missing(EnvelopeHeaders.manifest);
    if (tagsText === undefined) return missing(EnvelopeHeaders.tags);
    if (!seenTs) return missing(EnvelopeHeaders.timestamp);
    if (writerUuid === undefined) return missing(EnvelopeHeaders.writerUuid);
    if (!Number.isSafeInteger(sequenceNr) || sequenceNr < 1) throw new EnvelopeFormatError(`bad ${EnvelopeHeaders.sequenceNr}`);
    if (!Number.isFinite(timestamp)) throw new EnvelopeFormatError(`bad ${EnvelopeHeaders.timestamp}`);
    return {
      persistenceId,
      sequenceNr,
      // The Buffer itself (a Uint8Array view, no copy): serializers read a Buffer faster
      // (JsonPayloadSerializer decodes it with toString instead of a TextDecoder).
      payload: record.value ?? EMPTY_BYTES,
      serializerId,
      manifest,
      eventManifest,
      tags: this.tagsOf(tagsText),
      timestamp,
      writerUuid,
    };
  }

  private tagsOf(text: string): readonly string[] {
    if (text === '[]') return NO_TAGS;
    if (text === this.lastTagsText) return this.lastTags;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new EnvelopeFormatError(`${EnvelopeHeaders.tags} is not JSON`);
    }
    if (!Array.isArray(parsed) || !parsed.every((t) => typeof t === 'string')) throw new EnvelopeFormatError(`${EnvelopeHeaders.tags} is not an array of strings`);
    this.lastTags = Object.freeze(parsed as string[]);
    this.lastTagsText = text;
    return this.lastTags;
  }
}

/**
 * Decodes a record written by `encodeEnvelope` back into the stored event.
 * @throws EnvelopeFormatError when a header is missing or malformed
 */
export function decodeEnvelope(record: RecordParts): PersistentRepr {
  return new EnvelopeDecoder().decode(record);
}
