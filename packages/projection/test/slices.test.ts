import { silentLogger } from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NUMBER_OF_SLICES, InMemoryOffsetStore, IterableSource, Projection, SlicedSource, sliceOf, sliceRanges } from '../src/index.js';
import { envelopes } from './fixtures/feed.js';

describe('sliceOf', () => {
  it('maps an id to a stable slice within range, the same in every process', () => {
    // Fixed values: MD5 is the same everywhere, so instances on other nodes agree.
    // md5('account-1') starts c667b5d4: 0xc667b5d4 % 1024 = 468.
    expect(sliceOf('account-1')).toBe(468);
    expect(sliceOf('orders-42')).toBe(458);
    expect(sliceOf('account-1', 2)).toBe(0);
    const slices = new Set<number>();
    for (let i = 0; i < 5_000; i++) {
      const slice = sliceOf(`id-${i}`);
      expect(slice).toBeGreaterThanOrEqual(0);
      expect(slice).toBeLessThan(DEFAULT_NUMBER_OF_SLICES);
      slices.add(slice);
    }
    // 5,000 ids over 1,024 slices leave almost none empty when the hash spreads well.
    expect(slices.size).toBeGreaterThan(950);
  });

  it('rejects a bad number of slices naming the field', () => {
    expect(() => sliceOf('x', 0)).toThrow(new RangeError('sliceOf: numberOfSlices must be a positive integer, got 0'));
  });
});

describe('sliceRanges', () => {
  it('splits the slices into contiguous ranges that cover each slice exactly once', () => {
    expect(sliceRanges(4)).toEqual([
      { min: 0, max: 255 },
      { min: 256, max: 511 },
      { min: 512, max: 767 },
      { min: 768, max: 1023 },
    ]);
    expect(sliceRanges(3, 10)).toEqual([
      { min: 0, max: 3 },
      { min: 4, max: 6 },
      { min: 7, max: 9 },
    ]);
    expect(() => sliceRanges(11, 10)).toThrow(new RangeError('sliceRanges: instances must be an integer between 1 and numberOfSlices (10), got 11'));
  });
});

describe('SlicedSource', () => {
  it('lets N projection instances partition the persistence ids and together handle every event once', async () => {
    const all = envelopes(1, 400, 37);
    const source = IterableSource.create('all', async function* (after: number) {
      for (const e of all) if (e.offset > after) yield e;
    });
    const store = new InMemoryOffsetStore();
    const byInstance: string[][] = [];
    // 8 slices for 37 ids, so every slice (and each range's edges) holds some ids.
    const ranges = sliceRanges(3, 8);
    expect(new Set(all.map((e) => sliceOf(e.persistenceId, 8))).size).toBe(8);
    const projections = ranges.map((range, i) => {
      byInstance[i] = [];
      return Projection.grouped({
        name: 'sliced',
        source: SlicedSource.create(source, range, 8),
        offsetStore: store,
        logger: silentLogger,
        handler: (batch) => void byInstance[i]!.push(...batch.map((e) => `${e.persistenceId}#${e.sequenceNr}`)),
      }).start();
    });
    await Promise.all(projections.map((p) => p.done));

    const handled = byInstance.flat();
    expect(handled).toHaveLength(400);
    expect(new Set(handled)).toEqual(new Set(all.map((e) => `${e.persistenceId}#${e.sequenceNr}`)));
    const idsOf = (keys: string[]): Set<string> => new Set(keys.map((k) => k.split('#')[0]!));
    const [a, b, c] = byInstance.map(idsOf) as [Set<string>, Set<string>, Set<string>];
    expect([...a].some((id) => b.has(id) || c.has(id))).toBe(false);
    expect([...b].some((id) => c.has(id))).toBe(false);
    expect(a.size > 0 && b.size > 0 && c.size > 0).toBe(true);
    // Each instance keeps its own offset under the projection name.
    expect(projections.map((p) => p.id.key)).toEqual(['all|slices:0-2/8', 'all|slices:3-5/8', 'all|slices:6-7/8']);
  });

  it('rejects a range outside the slices naming the field', () => {
    const source = IterableSource.create('s', async function* () {});
    expect(() => SlicedSource.create(source, { min: 0, max: 1024 })).toThrow(
      new RangeError('SlicedSource: range.max must be an integer between range.min (0) and numberOfSlices - 1 (1023), got 1024'),
    );
  });
});
