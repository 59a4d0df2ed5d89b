/** Validates an option that must be a positive integer, naming the owner and field. */
export function checkPositiveInteger(owner: string, field: string, value: number): number {
  if (!(Number.isInteger(value) && value > 0)) throw new RangeError(`${owner}: ${field} must be a positive integer, got ${value}`);
  return value;
}
