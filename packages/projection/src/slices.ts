import { hash } from 'node:crypto';

/** Slices a persistence id space is split into unless told otherwise (as Akka's R2DBC projections). */
export const DEFAULT_NUMBER_OF_SLICES = 1024;

/** An inclusive range of slices that one projection instance owns. */
export interface SliceRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The slice of `persistenceId`: the first 32 bits of its MD5 digest modulo
 * `numberOfSlices`. MD5 (from node:crypto) is used for spread and stability across
 * processes, Node versions and languages, not for security; the slice of an id never
 * changes while `numberOfSlices` does not.
 */
export function sliceOf(persistenceId: string, numberOfSlices: number = DEFAULT_NUMBER_OF_SLICES): number {
  checkNumberOfSlices('sliceOf', numberOfSlices);
  return hash('md5', persistenceId, 'buffer').readUInt32BE(0) % numberOfSlices;
}

/**
 * Splits `numberOfSlices` into `instances` contiguous ranges that cover every slice
 * once; the first `numberOfSlices % instances` ranges are one slice larger.
 * @throws RangeError naming the bad argument
 */
export function sliceRanges(instances: number, numberOfSlices: number = DEFAULT_NUMBER_OF_SLICES): SliceRange[] {
  checkNumberOfSlices('sliceRanges', numberOfSlices);
  if (!(Number.isSafeInteger(instances) && instances > 0 && instances <= numberOfSlices)) {
    throw new RangeError(`sliceRanges: instances must be an integer between 1 and numberOfSlices (${numberOfSlices}), got ${instances}`);
  }
  const base = Math.floor(numberOfSlices / instances);
  const larger = numberOfSlices % instances;
  const ranges: SliceRange[] = [];
  let min = 0;
  for (let i = 0; i < instances; i++) {
    const size = base + (i < larger ? 1 : 0);
    ranges.push({ min, max: min + size - 1 });
    min += size;
  }
  return ranges;
}

/** Checks that `range` lies within `0 … numberOfSlices - 1`. @throws RangeError naming the bad field */
export function checkSliceRange(owner: string, range: SliceRange, numberOfSlices: number): void {
  checkNumberOfSlices(owner, numberOfSlices);
  if (range === null || typeof range !== 'object') throw new TypeError(`${owner}: range must be { min, max }`);
  if (!(Number.isSafeInteger(range.min) && range.min >= 0)) throw new RangeError(`${owner}: range.min must be an integer >= 0, got ${range.min}`);
  if (!(Number.isSafeInteger(range.max) && range.max >= range.min && range.max < numberOfSlices)) {
    throw new RangeError(`${owner}: range.max must be an integer between range.min (${range.min}) and numberOfSlices - 1 (${numberOfSlices - 1}), got ${range.max}`);
  }
}

function checkNumberOfSlices(owner: string, numberOfSlices: number): void {
  if (!(Number.isSafeInteger(numberOfSlices) && numberOfSlices > 0 && numberOfSlices <= 0xffff_ffff)) {
    throw new RangeError(`${owner}: numberOfSlices must be a positive integer, got ${numberOfSlices}`);
  }
}
