/** Options of a pool resizer: grows a pool under pressure and shrinks it when idle. */
export interface ResizerOptions {
  /** Fewest routees. @default 1 */
  readonly lowerBound?: number;
  /** Most routees. @default 10 */
  readonly upperBound?: number;
  /** Grow by this fraction of the current size (at least 1) when every routee is busy. @default 0.2 */
  readonly rampupRate?: number;
  /** Shrink when fewer than this fraction of routees are busy. @default 0.3 */
  readonly backoffThreshold?: number;
  /** Shrink by this fraction of the current size (at least 1). @default 0.1 */
  readonly backoffRate?: number;
  /** Re-evaluate the size after this many routed messages. @default 10 */
  readonly messagesPerResize?: number;
}

/** A resizer's options with defaults applied. */
export class Resizer {
  readonly lowerBound: number;
  readonly upperBound: number;
  readonly rampupRate: number;
  readonly backoffThreshold: number;
  readonly backoffRate: number;
  readonly messagesPerResize: number;

  constructor(options: ResizerOptions = {}) {
    this.lowerBound = options.lowerBound ?? 1;
    this.upperBound = options.upperBound ?? 10;
    this.rampupRate = options.rampupRate ?? 0.2;
    this.backoffThreshold = options.backoffThreshold ?? 0.3;
    this.backoffRate = options.backoffRate ?? 0.1;
    this.messagesPerResize = options.messagesPerResize ?? 10;
    if (!(Number.isInteger(this.lowerBound) && this.lowerBound >= 1)) throw new RangeError(`resizer: lowerBound must be an integer >= 1, got ${this.lowerBound}`);
    if (!(Number.isInteger(this.upperBound) && this.upperBound >= this.lowerBound)) throw new RangeError(`resizer: upperBound must be an integer >= lowerBound, got ${this.upperBound}`);
    for (const [field, value] of [
      ['rampupRate', this.rampupRate],
      ['backoffThreshold', this.backoffThreshold],
      ['backoffRate', this.backoffRate],
    ] as const) {
      if (!(value >= 0 && value <= 1)) throw new RangeError(`resizer: ${field} must be between 0 and 1, got ${value}`);
    }
    if (!(Number.isInteger(this.messagesPerResize) && this.messagesPerResize >= 1)) throw new RangeError(`resizer: messagesPerResize must be a positive integer, got ${this.messagesPerResize}`);
  }

  /** How many routees to add (positive) or remove (negative), given how many are busy. */
  capacityChange(size: number, busy: number): number {
    if (size < this.lowerBound) return this.lowerBound - size;
    if (size > this.upperBound) return this.upperBound - size;
    if (busy >= size && size < this.upperBound) return Math.min(this.upperBound - size, Math.max(1, Math.ceil(size * this.rampupRate)));
    if (busy < size * this.backoffThreshold && size > this.lowerBound) return -Math.min(size - this.lowerBound, Math.max(1, Math.floor(size * this.backoffRate)));
    return 0;
  }
}
