/**
 * What an offset is stored under: the projection's `name` (the read model it builds)
 * and the `key` of the part of the source one instance owns (a tag, a slice range, a
 * partition). Instances of one projection over different slices share the name.
 */
export interface ProjectionId {
  readonly name: string;
  readonly key: string;
}

/** `name/key`, for logs and error messages. */
export function projectionIdText(id: ProjectionId): string {
  return `${id.name}/${id.key}`;
}
