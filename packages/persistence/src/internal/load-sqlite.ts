import { createRequire } from 'node:module';
import type * as Sqlite from 'node:sqlite';

let loaded: typeof Sqlite | undefined;

/**
 * Loads `node:sqlite` on first use, so importing `@troupe/persistence` works on Node
 * versions without it (before 22.13 it needs `--experimental-sqlite`). Node 22 prints an
 * ExperimentalWarning when the module loads; we drop that one warning (only while loading)
 * because Troupe chose the module deliberately and users cannot act on it. Node 24 prints
 * none.
 */
export function loadSqlite(): typeof Sqlite {
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  const original = process.emitWarning;
  process.emitWarning = function filtered(this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === 'string' ? warning : warning.message;
    const type = typeof rest[0] === 'string' ? rest[0] : ((rest[0] as { type?: string } | undefined)?.type ?? (warning instanceof Error ? warning.name : ''));
    if (type === 'ExperimentalWarning' && /sqlite/i.test(text)) return;
    (original as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = require('node:sqlite') as typeof Sqlite;
  } catch (error) {
    throw new Error(`node:sqlite is not available in Node ${process.version}: use Node >= 22.13 (or start Node with --experimental-sqlite)`, { cause: error });
  } finally {
    process.emitWarning = original;
  }
  return loaded;
}
