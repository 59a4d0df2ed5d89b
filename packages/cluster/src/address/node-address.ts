/**
 * A node's unique address: host, port and incarnation (a random id per process
 * start), formatted as `troupe://<system>@<host>:<port>#<incarnation>`. It is the
 * actor-system address of the node, so every actor path starts with it.
 */
export interface NodeAddress {
  readonly system: string;
  readonly host: string;
  readonly port: number;
  readonly incarnation: string;
}

const ADDRESS = /^troupe:\/\/([A-Za-z0-9][A-Za-z0-9_-]*)@(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})#([A-Za-z0-9]{1,64})$/;

/** `troupe://<system>@<host>:<port>#<incarnation>`. */
export function formatAddress(address: NodeAddress): string {
  return `troupe://${address.system}@${address.host}:${address.port}#${address.incarnation}`;
}

/** Parses a formatted address; undefined when `text` is not one. */
export function parseAddress(text: string): NodeAddress | undefined {
  const match = ADDRESS.exec(text);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { system: match[1] as string, host: match[2] as string, port, incarnation: match[4] as string };
}

/** The node address at the start of an actor path, or undefined when the path has none. */
export function addressOfPath(path: string): string | undefined {
  if (!path.startsWith('troupe://')) return undefined;
  const slash = path.indexOf('/', 9);
  const address = slash < 0 ? path : path.slice(0, slash);
  return address.includes('#') ? address : undefined;
}

/** `host:port` of an address (what seeds are given as). */
export function hostPortOf(address: string): string {
  const parsed = parseAddress(address);
  if (parsed === undefined) throw new TypeError(`not a node address: ${address}`);
  return `${parsed.host}:${parsed.port}`;
}

/** Total order on addresses: host, then port (numerically), then incarnation. Used to pick leaders deterministically. */
export function compareAddresses(a: string, b: string): number {
  if (a === b) return 0;
  const pa = parseAddress(a);
  const pb = parseAddress(b);
  if (pa === undefined || pb === undefined) return a < b ? -1 : 1;
  if (pa.host !== pb.host) return pa.host < pb.host ? -1 : 1;
  if (pa.port !== pb.port) return pa.port - pb.port;
  return pa.incarnation < pb.incarnation ? -1 : pa.incarnation > pb.incarnation ? 1 : 0;
}
