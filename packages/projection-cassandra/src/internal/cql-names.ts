/**
 * Checks a keyspace, table or column name before it is put into CQL text: unquoted CQL
 * identifiers are letters, digits and `_`, starting with a letter, at most 48 characters
 * (Cassandra's limit for keyspace and table names).
 * @throws TypeError naming `owner` and `field`
 */
export function checkCqlName(owner: string, field: string, name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,47}$/.test(name)) {
    throw new TypeError(`${owner}: ${field} must be a CQL name (a letter, then letters, digits or _; at most 48), got ${JSON.stringify(name)}`);
  }
  return name.toLowerCase();
}
