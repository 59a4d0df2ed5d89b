import { describe, expect, it } from 'vitest';
import { TAG_OFFSET_BLOCK_SPAN, tagOffset, tagOffsetParts } from '../src/tag-offset.js';

describe('tagOffset', () => {
  it('orders every position of a block before every position of the next', () => {
    expect(tagOffset(0, TAG_OFFSET_BLOCK_SPAN - 1)).toBeLessThan(tagOffset(1, 1));
    expect(tagOffset(3, 7)).toBe(3 * TAG_OFFSET_BLOCK_SPAN + 7);
  });
  it('round-trips through tagOffsetParts, 0 being before the first entry of block 0', () => {
    expect(tagOffsetParts(0)).toEqual({ block: 0, position: 0 });
    expect(tagOffsetParts(tagOffset(12_345, 99))).toEqual({ block: 12_345, position: 99 });
  });
  it('refuses positions outside a block and negative or fractional offsets', () => {
    expect(() => tagOffset(0, TAG_OFFSET_BLOCK_SPAN)).toThrow(RangeError);
    expect(() => tagOffset(-1, 1)).toThrow(/block must be an integer >= 0/);
    expect(() => tagOffsetParts(-1)).toThrow(/offset must be an integer >= 0/);
    expect(() => tagOffsetParts(1.5)).toThrow(RangeError);
  });
});
