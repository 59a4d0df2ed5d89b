/**
 * Offsets of `currentEventsByTag` and `currentPersistenceIds` on Cassandra: the block of the
 * ordered log an entry is in and its position there, in one number.
 *
 * `offset = block * 2^20 + position`, with positions 1, 2, 3… without gaps inside a block
 * (at most 2^20 - 1 per block), so offsets increase along the log and a resumed query can
 * start in the right block from the number alone. Every value stays below 2^53.
 */

/** Positions per block the offset format has room for. */
export const TAG_OFFSET_BLOCK_SPAN = 1_048_576;

/** The offset of the entry at `position` (≥ 1) of `block` (≥ 0); 0 is "before everything". */
export function tagOffset(block: number, position: number): number {
  if (!(Number.isSafeInteger(block) && block >= 0)) throw new RangeError(`tagOffset: block must be an integer >= 0, got ${block}`);
  if (!(Number.isInteger(position) && position >= 0 && position < TAG_OFFSET_BLOCK_SPAN))
    throw new RangeError(`tagOffset: position must be an integer in 0..${TAG_OFFSET_BLOCK_SPAN - 1}, got ${position}`);
  return block * TAG_OFFSET_BLOCK_SPAN + position;
}

/** The block and position an offset names (position 0: before the block's first entry). */
export function tagOffsetParts(offset: number): { readonly block: number; readonly position: number } {
  if (!(Number.isSafeInteger(offset) && offset >= 0)) throw new RangeError(`tagOffsetParts: offset must be an integer >= 0, got ${offset}`);
  return { block: Math.floor(offset / TAG_OFFSET_BLOCK_SPAN), position: offset % TAG_OFFSET_BLOCK_SPAN };
}
