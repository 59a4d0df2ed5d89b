import { createHash } from 'node:crypto';

/**
 * The shard of `entityId`: the first 32 bits of its MD5 digest (UTF-8), modulo
 * `numberOfShards`. MD5 is used for spread, not secrecy; it is stable across
 * processes, Node versions and platforms, so every node agrees.
 */
export function shardIdOf(entityId: string, numberOfShards: number): number {
  return createHash('md5').update(entityId, 'utf8').digest().readUInt32BE(0) % numberOfShards;
}
