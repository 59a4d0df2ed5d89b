import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../src/index.js';
import { fastOptions } from './fast-settings.js';

/** Resolves with the error code of a TCP connection attempt to `port`, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

describe('Cluster [Symbol.asyncDispose]', () => {
  it('shuts the node down when an `await using` block ends: its system terminates and its port closes', async () => {
    let outside: Cluster;
    let port: number;
    {
      await using cluster = await Cluster.start(fastOptions());
      outside = cluster;
      port = Number(cluster.hostPort.split(':')[1]);
      await cluster.whenUp;
      expect(await tryConnect(port)).toBe('connected');
      expect(cluster.system.isTerminated).toBe(false);
    }
    expect(outside.system.isTerminated).toBe(true);
    await expect(outside.whenTerminated).resolves.toBe('shutdown');
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
  });

  it('shuts the node down when the block ends by a throw, and disposing twice is harmless', async () => {
    let outside: Cluster | undefined;
    await expect(
      (async () => {
        await using cluster = await Cluster.start(fastOptions());
        outside = cluster;
        throw new Error('boom');
      })(),
    ).rejects.toThrow('boom');
    expect(outside?.system.isTerminated).toBe(true);
    await outside?.[Symbol.asyncDispose]();
    expect(outside?.system.isTerminated).toBe(true);
  });
});
