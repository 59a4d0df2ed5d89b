import { InvalidServiceKeyError } from './receptionist-errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

/**
 * Names a service and the type of message its actors accept. The same name on every
 * node means the same service; `M` exists only for the compiler (as Akka's `ServiceKey[T]`,
 * nothing checks at run time that a registered actor accepts `M`).
 */
export class ServiceKey<M> {
  /** Phantom field carrying `M` (never set). */
  declare readonly messageType?: M;

  private constructor(
    /** The service's name, unique per cluster. */
    readonly name: string,
  ) {}

  /**
   * The key of service `name` (1–200 letters, digits, `-`, `_`, `.`, `:`; starting with a letter or digit).
   * @throws InvalidServiceKeyError for a bad name
   * @example const Workers = ServiceKey.of<WorkMsg>('workers');
   */
  static of<M>(name: string): ServiceKey<M> {
    if (!isServiceKeyName(name)) throw new InvalidServiceKeyError(name);
    return new ServiceKey<M>(name);
  }

  toString(): string {
    return `ServiceKey(${this.name})`;
  }
}

/** True when `name` is a valid service key name (also checks names arriving from other nodes). */
export function isServiceKeyName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}
