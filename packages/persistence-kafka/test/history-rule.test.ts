import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../src/event-envelope.js';
import { ControlHeaders, type InspectedRecord, checkpointOf, encodeCheckpoint, inspectRecord, judgeBatch, refusalAt, stateAtLogStart } from '../src/internal/history-rule.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

function dataRecord(seq: number, writer: string, extra: readonly (readonly [string, Buffer])[] = [], persistenceId = 'p') {
  const e = encodeEnvelope({ persistenceId, sequenceNr: seq, payload: bytes('x'), serializerId: 'json', manifest: '', eventManifest: '', tags: [], timestamp: 1, writerUuid: writer });
  return { headers: [...e.headers, ...extra].map(([name, value]) => [bytes(name), value] as const) };
}
const data = (seq: number, writer: string, persistenceId = 'p'): InspectedRecord => ({ kind: 'data', persistenceId, sequenceNr: seq, writer, at: undefined });
const fence = (writer: string): InspectedRecord => ({ kind: 'fence', writer, at: undefined });

describe('the history rule', () => {
  it('reads data records, fences, start markers and anything else from their headers', () => {
    expect(inspectRecord(dataRecord(7, 'w'))).toEqual({ kind: 'data', persistenceId: 'p', sequenceNr: 7, writer: 'w', at: undefined });
    expect(
      inspectRecord({
        headers: [
          [bytes(ControlHeaders.fence), bytes('w2')],
          [bytes('troupe.pid'), bytes('p')],
        ],
      }),
    ).toEqual({ kind: 'fence', writer: 'w2', at: undefined });
    expect(
      inspectRecord({
        headers: [
          [bytes(ControlHeaders.start), bytes('12')],
          [bytes(ControlHeaders.holder), bytes('h')],
        ],
      }),
    ).toEqual({ kind: 'start', state: { last: 12, holder: 'h' } });
    expect(inspectRecord({ headers: [[bytes('x'), bytes('y')]] })).toEqual({ kind: 'other' });
    // Headers in another order are read too.
    const shuffled = dataRecord(3, 'w');
    expect(inspectRecord({ headers: [...shuffled.headers].reverse() })).toMatchObject({ kind: 'data', sequenceNr: 3, writer: 'w' });
  });

  it('takes a batch whole when it continues the history under the holder, and skips it whole otherwise', () => {
    const start = { last: 2, holder: undefined };
    expect(judgeBatch(start, [data(3, 'a'), data(4, 'a')], 'p')).toEqual({ state: { last: 4, holder: undefined }, valid: true });
    // A duplicate, a gap, another id: skipped, the state unchanged.
    expect(judgeBatch(start, [data(2, 'a'), data(3, 'a')], 'p')).toEqual({ state: start, valid: false });
    expect(judgeBatch(start, [data(4, 'a')], 'p')).toEqual({ state: start, valid: false });
    expect(judgeBatch(start, [data(3, 'a', 'q')], 'p')).toEqual({ state: start, valid: false });
    // A fence changes the holder; the fenced writer's batch is skipped even when its numbers fit.
    const fenced = judgeBatch(start, [fence('b')], 'p');
    expect(fenced).toEqual({ state: { last: 2, holder: 'b' }, valid: false });
    expect(judgeBatch(fenced.state, [data(3, 'a')], 'p').valid).toBe(false);
    expect(judgeBatch(fenced.state, [data(3, 'b')], 'p')).toEqual({ state: { last: 3, holder: 'b' }, valid: true });
    expect(refusalAt(fenced.state, 'a', 3)).toBe('fenced');
    expect(refusalAt(fenced.state, 'b', 2)).toBe('taken');
    expect(refusalAt(fenced.state, 'b', 3)).toBeUndefined();
  });

  it('states a position in a checkpoint and reads it back', () => {
    const position = { offset: 41n, state: { last: 40, holder: 'w' } };
    const record = inspectRecord(dataRecord(41, 'w', [[ControlHeaders.at, encodeCheckpoint(position, 'w')]]));
    expect(record).toMatchObject({ kind: 'data', at: bytes('41,40,=') });
    expect(checkpointOf(record)).toEqual(position);
    expect(checkpointOf(inspectRecord(dataRecord(1, 'v', [[ControlHeaders.at, encodeCheckpoint({ offset: 0n, state: { last: 0, holder: undefined } }, 'v')]])))).toEqual({
      offset: 0n,
      state: { last: 0, holder: undefined },
    });
    expect(checkpointOf(inspectRecord(dataRecord(5, 'v', [[ControlHeaders.at, encodeCheckpoint({ offset: 9n, state: { last: 4, holder: 'other' } }, 'v')]])))).toEqual({
      offset: 9n,
      state: { last: 4, holder: 'other' },
    });
    expect(checkpointOf(inspectRecord(dataRecord(5, 'v', [[ControlHeaders.at, bytes('garbage')]])))).toBeUndefined();
  });

  it('takes the state at a log start above 0 from the record there, else as the format before fences', () => {
    expect(stateAtLogStart(0n, data(1, 'a'), 'p')).toEqual({ last: 0, holder: undefined });
    // The first surviving event: its checkpoint when it states that very offset.
    const at = (offset: bigint, last: number, holder: string | undefined): InspectedRecord => ({
      kind: 'data',
      persistenceId: 'p',
      sequenceNr: last + 1,
      writer: 'w',
      at: encodeCheckpoint({ offset, state: { last, holder } }, 'w'),
    });
    expect(stateAtLogStart(9n, at(9n, 6, 'w'), 'p')).toEqual({ last: 6, holder: 'w' });
    const midBatch: InspectedRecord = { kind: 'data', persistenceId: 'p', sequenceNr: 7, writer: 'w', at: encodeCheckpoint({ offset: 5n, state: { last: 3, holder: 'w' } }, 'w') };
    expect(stateAtLogStart(9n, midBatch, 'p')).toEqual({ last: 6, holder: 'w' });
    // Written before checkpoints (or by the old deletion): event n at offset n - 1.
    expect(stateAtLogStart(4n, data(5, 'old'), 'p')).toEqual({ last: 4, holder: undefined });
    expect(stateAtLogStart(4n, { kind: 'start', state: { last: 9, holder: 'h' } }, 'p')).toEqual({ last: 9, holder: 'h' });
    expect(stateAtLogStart(4n, fence('h'), 'p')).toEqual({ last: 4, holder: undefined });
    expect(stateAtLogStart(4n, undefined, 'p')).toEqual({ last: 4, holder: undefined });
  });
});
