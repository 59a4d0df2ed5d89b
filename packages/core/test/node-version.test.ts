import { readdirSync, readFileSync } from 'node:fs';
import * as core from '@troupe/core';
import { ActorSystem, silentLogger } from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { UnsupportedNodeError } from '../src/errors.js';
import { MIN_NODE_VERSION, assertSupportedNode } from '../src/node-version.js';

const root = new URL('../../../', import.meta.url);
const enginesOf = (path: URL): string | undefined => (JSON.parse(readFileSync(path, 'utf8')) as { engines?: { node?: string } }).engines?.node;

describe('assertSupportedNode', () => {
  it('refuses an older Node with one line naming the required and the found version and the fix', () => {
    let thrown: unknown;
    try {
      assertSupportedNode('20.19.2');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnsupportedNodeError);
    const error = thrown as UnsupportedNodeError;
    expect(error.code).toBe('ERR_UNSUPPORTED_NODE');
    expect(core.UnsupportedNodeError.name).toBe('UnsupportedNodeError');
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain(`>= ${MIN_NODE_VERSION}`);
    expect(error.message).toContain('found 20.19.2');
    expect(error.message).toContain('npm install --no-save --prefix ~/.cache/troupe-node node@24');
  });

  it('refuses a 22 release older than the minimum and accepts the minimum and later', () => {
    expect(() => assertSupportedNode('22.11.0')).toThrow(UnsupportedNodeError);
    expect(() => assertSupportedNode('v22.21.9')).toThrow(UnsupportedNodeError);
    expect(() => assertSupportedNode(`${MIN_NODE_VERSION}.0`)).not.toThrow();
    expect(() => assertSupportedNode('22.23.0')).not.toThrow();
    expect(() => assertSupportedNode('24.0.0')).not.toThrow();
    expect(() => assertSupportedNode('v25.1.0-nightly')).not.toThrow();
  });

  it('accepts the Node running this test, so ActorSystem.create works here', async () => {
    expect(() => assertSupportedNode(process.versions.node)).not.toThrow();
    expect(() => assertSupportedNode()).not.toThrow(); // the running Node by default
    const system = ActorSystem.create({ logger: silentLogger });
    await system.terminate();
  });
});

describe('engines', () => {
  it('agree across the root and every package, and with the version ActorSystem.create checks', () => {
    expect(enginesOf(new URL('package.json', root))).toBe(`>=${MIN_NODE_VERSION}`);
    const packages = readdirSync(new URL('packages/', root));
    expect(packages.length).toBeGreaterThan(3);
    for (const name of packages) {
      expect({ name, engines: enginesOf(new URL(`packages/${name}/package.json`, root)) }).toEqual({ name, engines: `>=${MIN_NODE_VERSION}` });
    }
  });
});
