import { readFileSync } from 'node:fs';

/**
 * Summarises a `.cpuprofile` written by `node --cpu-prof`: self time by function and by
 * file, as shares of all samples, so a profile can be quoted as evidence (commit the profile with the claim).
 * Usage: node dist/persistence/cpu-profile-summary.js <file.cpuprofile> [top=25]
 */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: CallFrame }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function main(): void {
  const file = process.argv[2];
  if (file === undefined) throw new TypeError('usage: cpu-profile-summary.js <file.cpuprofile> [top]');
  const top = Number(process.argv[3] ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = frames.get(profile.samples[i] as number) as CallFrame;
    const micros = profile.timeDeltas[i] ?? 0;
    total += micros;
    const url = frame.url.replace(/^file:\/\/.*?\/(packages|bench)\//, '$1/');
    add(byFunction, `${frame.functionName || '(anonymous)'} ${url}${url === '' ? '' : `:${frame.lineNumber + 1}`}`, micros);
    add(byFile, url === '' ? `(${frame.functionName})` : url, micros);
  }
  const list = (map: Map<string, number>): string =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => `${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`)
      .join('\n');
  process.stdout.write(`${(total / 1000).toFixed(0)} ms sampled\n\nself time by function\n${list(byFunction)}\n\nself time by file\n${list(byFile)}\n`);
}

main();
