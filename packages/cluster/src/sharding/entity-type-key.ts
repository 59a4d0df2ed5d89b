const TYPE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * Names an entity type and the type of message its entities accept. The same name
 * on every node means the same entities; `M` exists only for the compiler.
 */
export class EntityTypeKey<M> {
  /** Phantom field carrying `M` (never set). */
  declare readonly messageType?: M;

  private constructor(
    /** The type's name, unique per cluster. */
    readonly name: string,
  ) {}

  /**
   * The key of entity type `name` (letters, digits, `-`, `_`).
   * @throws TypeError for a bad name
   */
  static of<M>(name: string): EntityTypeKey<M> {
    if (typeof name !== 'string' || !TYPE_NAME.test(name))
      throw new TypeError(`EntityTypeKey: name must be letters, digits, '-' or '_' (starting with a letter or digit), got ${JSON.stringify(name)}`);
    return new EntityTypeKey<M>(name);
  }

  toString(): string {
    return `EntityTypeKey(${this.name})`;
  }
}
