import type { PersistentRepr } from '@troupe/persistence';
import { describe, expect, it } from 'vitest';
import { EnvelopeDecoder, EnvelopeHeaders, decodeEnvelope, encodeEnvelope } from '../src/event-envelope.js';
import { EnvelopeFormatError } from '../src/kafka-errors.js';

const event: PersistentRepr = {
  persistenceId: 'counter-1',
  sequenceNr: 42,
  payload: new TextEncoder().encode('{"type":"incremented","by":3}'),
  serializerId: 'json',
  manifest: 'Incremented',
  eventManifest: 'v2',
  tags: ['counter', 'blue'],
  timestamp: 1_700_000_000_123,
  writerUuid: 'writer-9',
};

const asText = (headers: readonly (readonly [string, Buffer])[]): Record<string, string> => Object.fromEntries(headers.map(([k, v]) => [k, v.toString('utf8')]));

describe('encodeEnvelope', () => {
  it('keys the record by persistence id and keeps the payload bytes as the value', () => {
    const encoded = encodeEnvelope(event);
    expect(encoded.key.toString('utf8')).toBe('counter-1');
    expect(encoded.value.toString('utf8')).toBe('{"type":"incremented","by":3}');
    expect(encoded.timestamp).toBe(1_700_000_000_123);
  });

  it('writes every field as a plain UTF-8 header any Kafka client can read', () => {
    expect(asText(encodeEnvelope(event).headers)).toEqual({
      'troupe.v': '1',
      'troupe.pid': 'counter-1',
      'troupe.seq': '42',
      'troupe.ser': 'json',
      'troupe.manifest': 'Incremented',
      'troupe.event-manifest': 'v2',
      'troupe.tags': '["counter","blue"]',
      'troupe.ts': '1700000000123',
      'troupe.writer': 'writer-9',
    });
  });

  it('accounts for the payload in its size estimate', () => {
    const small = encodeEnvelope(event).size;
    const large = encodeEnvelope({ ...event, payload: new Uint8Array(10_000) }).size;
    expect(large - small).toBe(10_000 - event.payload.byteLength);
  });
});

describe('decodeEnvelope', () => {
  const record = (overrides: Record<string, string | null> = {}) => {
    const encoded = encodeEnvelope(event);
    const headers = encoded.headers
      .map(([k, v]) => [k, k in overrides ? overrides[k] : v.toString('utf8')] as const)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [Buffer.from(k), Buffer.from(v as string)] as const);
    return { value: encoded.value, headers };
  };

  it('round-trips every field of an event', () => {
    const back = decodeEnvelope(record());
    expect({ ...back, payload: Buffer.from(back.payload).toString() }).toEqual({ ...event, payload: Buffer.from(event.payload).toString() });
    expect(back.payload).toBeInstanceOf(Uint8Array);
  });

  it('hands over the record value itself as the payload, a Buffer without a copy', () => {
    const input = record();
    const back = decodeEnvelope(input);
    expect(Buffer.isBuffer(back.payload)).toBe(true);
    expect(back.payload).toBe(input.value);
  });

  it('reads an empty value as an empty payload', () => {
    expect(decodeEnvelope({ ...record(), value: null }).payload.byteLength).toBe(0);
  });

  it('rejects a record without the envelope headers with EnvelopeFormatError', () => {
    const error = (() => {
      try {
        decodeEnvelope({ value: Buffer.from('x'), headers: [] });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(EnvelopeFormatError);
    expect((error as EnvelopeFormatError).code).toBe('ERR_KAFKA_ENVELOPE_FORMAT');
    expect((error as Error).message).toContain(EnvelopeHeaders.version);
  });

  it('rejects an unknown envelope version, a bad sequence number and malformed tags', () => {
    expect(() => decodeEnvelope(record({ 'troupe.v': '2' }))).toThrow(/version 2/);
    expect(() => decodeEnvelope(record({ 'troupe.seq': 'x' }))).toThrow(EnvelopeFormatError);
    expect(() => decodeEnvelope(record({ 'troupe.seq': '0' }))).toThrow(EnvelopeFormatError);
    expect(() => decodeEnvelope(record({ 'troupe.tags': '[1]' }))).toThrow(/array of strings/);
    expect(() => decodeEnvelope(record({ 'troupe.tags': '{' }))).toThrow(/not JSON/);
  });
});

describe('EnvelopeDecoder', () => {
  const asRecord = (e: PersistentRepr) => {
    const encoded = encodeEnvelope(e);
    return { value: encoded.value, headers: encoded.headers.map(([k, v]) => [Buffer.from(k), v] as const) };
  };

  it('gives every record its own values when one decoder reads records that differ', () => {
    const decoder = new EnvelopeDecoder();
    const a = decoder.decode(asRecord(event));
    const b = decoder.decode(asRecord({ ...event, persistenceId: 'counter-2', sequenceNr: 43, manifest: 'Decremented', tags: ['red'], writerUuid: 'writer-10', eventManifest: '' }));
    const c = decoder.decode(asRecord({ ...event, sequenceNr: 44, timestamp: 5 }));
    expect([a.persistenceId, a.sequenceNr, a.manifest, a.tags, a.writerUuid, a.eventManifest]).toEqual(['counter-1', 42, 'Incremented', ['counter', 'blue'], 'writer-9', 'v2']);
    expect([b.persistenceId, b.sequenceNr, b.manifest, b.tags, b.writerUuid, b.eventManifest]).toEqual(['counter-2', 43, 'Decremented', ['red'], 'writer-10', '']);
    expect([c.persistenceId, c.sequenceNr, c.timestamp, c.tags]).toEqual(['counter-1', 44, 5, ['counter', 'blue']]);
  });

  it('reads large sequence numbers and timestamps exactly', () => {
    const back = new EnvelopeDecoder().decode(asRecord({ ...event, sequenceNr: Number.MAX_SAFE_INTEGER, timestamp: 4_102_444_800_000 }));
    expect(back.sequenceNr).toBe(Number.MAX_SAFE_INTEGER);
    expect(back.timestamp).toBe(4_102_444_800_000);
  });

  it('reads the headers in any order', () => {
    const record = asRecord(event);
    const back = new EnvelopeDecoder().decode({ ...record, headers: [...record.headers].reverse() });
    expect({ ...back, payload: Buffer.from(back.payload).toString() }).toEqual({ ...event, payload: Buffer.from(event.payload).toString() });
  });

  it('ignores headers it does not know', () => {
    const record = asRecord(event);
    const back = new EnvelopeDecoder().decode({ ...record, headers: [[Buffer.from('traceparent'), Buffer.from('00-abc')], ...record.headers] });
    expect(back.sequenceNr).toBe(42);
  });
});
