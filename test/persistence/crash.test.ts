import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteJournal } from '@troupe/persistence';
import { afterAll, describe, expect, it } from 'vitest';

const WRITER = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
const ACTORS = 8;
const dir = mkdtempSync(join(tmpdir(), 'troupe-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the writer, SIGKILLs it once it has acknowledged `killAfter` events, and
 * returns every acknowledgement it printed (read to the end of the pipe).
 */
function runUntilKilled(path: string, killAfter: number): Promise<Map<string, number[]>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, path, String(ACTORS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks = new Map<string, number[]>();
    let count = 0;
    let buffered = '';
    let stderr = '';
    let killed = false;
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer did not reach ${killAfter} acknowledgements within 20 s (got ${count}); stderr: ${stderr}`));
    }, 20_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [word, pid, seq] = line.split(' ');
        if (word !== 'ack' || pid === undefined || seq === undefined) continue;
        let list = acks.get(pid);
        if (list === undefined) acks.set(pid, (list = []));
        list.push(Number(seq));
        count++;
      }
      if (!killed && count >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited by itself (code ${code}, signal ${signal}); stderr: ${stderr}`));
      else resolve(acks);
    });
  });
}

async function storedNumbers(journal: SqliteJournal, persistenceId: string): Promise<number[]> {
  const numbers: number[] = [];
  for await (const page of journal.replayMessages(persistenceId, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) {
    for (const event of page) {
      const payload = JSON.parse(new TextDecoder().decode(event.payload)) as { seq: number };
      expect(payload.seq).toBe(event.sequenceNr);
      numbers.push(event.sequenceNr);
    }
  }
  return numbers;
}

describe('SqliteJournal crash safety', () => {
  it('keeps every acknowledged event, contiguous and without duplicates, across repeated SIGKILLs at random points', async () => {
    const path = join(dir, 'journal.db');
    const seen = new Map<string, number>();
    for (let round = 0; round < 4; round++) {
      const killAfter = 300 + Math.floor(Math.random() * 1500);
      const acks = await runUntilKilled(path, killAfter);
      expect([...acks.values()].reduce((n, list) => n + list.length, 0)).toBeGreaterThanOrEqual(killAfter);
      const journal = new SqliteJournal({ path });
      try {
        for (let i = 0; i < ACTORS; i++) {
          const pid = `writer-${i}`;
          const stored = await storedNumbers(journal, pid);
          // Contiguous from 1, hence no gaps and no duplicates.
          expect(stored).toEqual(Array.from({ length: stored.length }, (_, k) => k + 1));
          expect(await journal.readHighestSequenceNr(pid, 0)).toBe(stored.length);
          // Every acknowledgement of every round so far is stored.
          const acked = Math.max(seen.get(pid) ?? 0, ...(acks.get(pid) ?? []));
          if (stored.length < acked) throw new Error(`${pid}: acknowledged up to ${acked} but stored ${stored.length} (round ${round})`);
          seen.set(pid, acked);
        }
      } finally {
        await journal.close();
      }
    }
  }, 60_000);
});
