/** A range of Murmur3 tokens, `(start, end]`, as decimal strings (CQL bigint literals). */
export interface TokenRangeSplit {
  readonly start: string;
  readonly end: string;
}

const MIN_TOKEN = -(2n ** 63n);
const MAX_TOKEN = 2n ** 63n - 1n;

/**
 * Splits the whole Murmur3 ring into `count` contiguous ranges `(start, end]` of (almost)
 * equal width. The first starts at the minimum token, which no key has (Murmur3Partitioner
 * maps it to the maximum), and the last ends at the maximum: together they cover every
 * partition exactly once.
 */
export function splitMurmur3Ring(count: number): readonly TokenRangeSplit[] {
  if (!(Number.isInteger(count) && count > 0 && count <= 1_000_000)) throw new RangeError(`splitMurmur3Ring: count must be an integer in 1..1000000, got ${count}`);
  const width = (MAX_TOKEN - MIN_TOKEN) / BigInt(count);
  const splits: TokenRangeSplit[] = [];
  let start = MIN_TOKEN;
  for (let i = 0; i < count; i++) {
    const end = i === count - 1 ? MAX_TOKEN : start + width;
    splits.push({ start: start.toString(), end: end.toString() });
    start = end;
  }
  return splits;
}
