#!/usr/bin/env node
// `npm test`: runs every workspace's test task through turbo (one at a time: the
// machines have 2 cores and several suites start real servers), streams the output,
// and ends with one plain total line over all vitest runs — "N passed, N failed,
// N skipped" — so a reader (or CI) sees the whole count without scrolling.
// The exit code is turbo's.
import { spawn } from 'node:child_process';

const SUMMARY = /Tests\s+(.+?)\s+\((\d+)\)\s*$/;
const totals = { passed: 0, failed: 0, skipped: 0 };
let summaries = 0;

function count(line) {
  // Strips the terminal colour codes (ESC [ … m) vitest prints.
  // eslint-disable-next-line no-control-regex
  const plain = line.replace(/\u001b\[[0-9;]*m/g, '');
  const match = SUMMARY.exec(plain);
  if (match === null) return;
  summaries++;
  for (const part of match[1].split('|')) {
    const [, n, kind] = /(\d+)\s+(passed|failed|skipped|todo)/.exec(part.trim()) ?? [];
    if (kind === 'passed' || kind === 'failed') totals[kind] += Number(n);
    else if (kind === 'skipped' || kind === 'todo') totals.skipped += Number(n);
  }
}

const child = spawn('npx', ['turbo', 'run', 'test', '--concurrency=1', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });
let pending = '';
child.stdout.setEncoding('utf8').on('data', (chunk) => {
  process.stdout.write(chunk);
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) count(line);
});
child.on('close', (code, signal) => {
  if (pending !== '') count(pending);
  console.log(`\nvitest runs: ${summaries}`);
  console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exitCode = code ?? (signal ? 1 : 0);
});
