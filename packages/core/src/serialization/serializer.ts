/**
 * Turns values into bytes and back. `manifest` says what type the bytes hold (stored
 * or sent beside them) so a serializer can rebuild the right shape.
 */
export interface Serializer {
  /** Stable identifier, written beside every payload (e.g. `json`). */
  readonly id: string;
  toBinary(value: unknown): Uint8Array;
  fromBinary(bytes: Uint8Array, manifest: string): unknown;
  /**
   * Optional text form, for carriers that are text already (a JSON frame): lets them skip
   * the UTF-8 round trip through bytes. Must agree with `toBinary`/`fromBinary`.
   */
  toText?(value: unknown): string;
  fromText?(text: string, manifest: string): unknown;
}
