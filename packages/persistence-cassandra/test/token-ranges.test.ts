import { describe, expect, it } from 'vitest';
import { splitMurmur3Ring } from '../src/token-ranges.js';

describe('splitMurmur3Ring', () => {
  it('covers the whole ring with contiguous ranges from the minimum to the maximum token', () => {
    for (const count of [1, 2, 7, 64]) {
      const splits = splitMurmur3Ring(count);
      expect(splits).toHaveLength(count);
      expect(splits[0]!.start).toBe((-(2n ** 63n)).toString());
      expect(splits[count - 1]!.end).toBe((2n ** 63n - 1n).toString());
      for (let i = 1; i < count; i++) expect(splits[i]!.start).toBe(splits[i - 1]!.end);
      for (const split of splits) expect(BigInt(split.end) > BigInt(split.start)).toBe(true);
    }
  });
  it('cuts ranges of equal width except for rounding in the last', () => {
    const widths = splitMurmur3Ring(5).map((s) => BigInt(s.end) - BigInt(s.start));
    for (const width of widths.slice(0, -1)) expect(width).toBe(widths[0]);
    expect(widths[4]! - widths[0]!).toBeLessThan(5n);
  });
  it('refuses a count that is not a positive integer', () => {
    expect(() => splitMurmur3Ring(0)).toThrow(new RangeError('splitMurmur3Ring: count must be an integer in 1..1000000, got 0'));
  });
});
