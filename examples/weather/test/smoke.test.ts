import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNodeProgram } from '@troupe/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'troupe-weather-smoke-'));
const run = () => runNodeProgram(['dist/main.js', '--once', '--port', '0'], { cwd: exampleDir, env: { TROUPE_WEATHER_DATA: dataDir }, timeoutMs: 60_000 });
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('example: weather (npm start -- --once)', () => {
  it('ingests the 2008 feeds, answers queries from the read model, and its batch finds nothing to correct; a second run stores nothing twice', async () => {
    const first = await run();
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/POST \/feed ny-2008\.csv\.gz: 8,784 lines, 8,784 stored, 0 duplicates, 0 refused/);
    expect(first.stdout).toMatch(/POST \/feed sf-2008\.csv\.gz: 8,784 lines, 8,784 stored, 0 duplicates, 0 refused/);
    expect(first.stdout).toContain('the projection committed every event up to journal offset 17,568');
    expect(first.stdout).toContain('GET /stations/725030:14732/current → 200 {"station":"NEW YORK LAGUARDIA ARPT","stationId":"725030:14732","year":2008,"month":12,"day":31,"hour":23,');
    expect(first.stdout).toMatch(/GET \/stations\/725030:14732\/days\/2008-07-04 → 200 \{.*"temperature":\{"high":26\.7,"low":22\.8,.*"hours":23\}/);
    expect(first.stdout).toContain('GET /stations/724940:23234/months/2008-01 → 200 {"stationId":"724940:23234","station":"SAN FRANCISCO INTL AP","month":"2008-01","high":15,"low":3.9}');
    expect(first.stdout).toContain(
      'recomputed 17,568 readings from the journal at offset 17,568: 732 daily temperature rows, 732 daily precipitation rows, 24 months, 2 years; 0 differed from the stream',
    );

    const second = await run();
    expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
    expect(second.stdout).toMatch(/POST \/feed ny-2008\.csv\.gz: 8,784 lines, 0 stored, 8,784 duplicates, 0 refused/);
    expect(second.stdout).toContain('recomputed 17,568 readings from the journal at offset 17,568');
  }, 150_000);
});
