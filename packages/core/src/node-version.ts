import { UnsupportedNodeError } from './errors.js';

/** The oldest Node.js Troupe runs on; every package.json's `engines` says the same (a test holds them together). */
export const MIN_NODE_VERSION = '22.22';

/** The README's fix, in one line: Node 24 LTS from the npm registry into a cache folder, first on the PATH. */
const FIX = 'install Node 24 LTS (README, "Contributor note: Node 24"): npm install --no-save --prefix ~/.cache/troupe-node node@24 && export PATH=~/.cache/troupe-node/node_modules/.bin:$PATH';

/**
 * Throws `UnsupportedNodeError` when `found` (a `process.versions.node` string, with or
 * without a leading `v`; the running Node when omitted) is older than `MIN_NODE_VERSION`. Run before anything that
 * needs a newer Node, so an old one fails with this line rather than with
 * `Promise.withResolvers is not a function` from deep inside.
 */
export function assertSupportedNode(found: string = process.versions.node): void {
  const [major = 0, minor = 0] = found
    .replace(/^v/, '')
    .split('.')
    .map((part) => Number.parseInt(part, 10));
  const [minMajor = 0, minMinor = 0] = MIN_NODE_VERSION.split('.').map(Number);
  if (major > minMajor || (major === minMajor && minor >= minMinor)) return;
  throw new UnsupportedNodeError(MIN_NODE_VERSION, found, FIX);
}
