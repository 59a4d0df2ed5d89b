import type { ActorRef } from '@troupe/core';
import { IngestError } from './errors.js';
import { type Reading, type ReadingRefusal, parseReadingLine, validateReading } from './reading.js';
import type { RecordReply } from './weather-station.js';
import type { WeatherStationsCommand } from './weather-stations.js';

/** What an upload did: like a bulk API, the good lines are stored and the bad ones reported. */
export interface FeedReport {
  /** Lines read (blank lines are skipped and not counted). */
  readonly lines: number;
  readonly stored: number;
  /** Lines identical to a reading the station already holds: nothing stored. */
  readonly duplicates: number;
  /** Every refused line with its 1-based number and the reason; nothing of them is stored. */
  readonly refused: readonly ReadingRefusal[];
}

/** Options of `FeedIngestion`. */
export interface FeedIngestionOptions {
  /** Most readings per command to a station (one atomic journal write). @default 1000 */
  readonly readingsPerCommand?: number;
  /** How long a station may take to answer one command, in ms. @default 60000 */
  readonly askTimeoutMs?: number;
}

/** Sends parsed readings to their stations and gathers what they answered. */
export class FeedIngestion {
  private readonly readingsPerCommand: number;
  private readonly askTimeoutMs: number;

  constructor(
    private readonly stations: ActorRef<WeatherStationsCommand>,
    options: FeedIngestionOptions = {},
  ) {
    this.readingsPerCommand = options.readingsPerCommand ?? 1000;
    if (!(Number.isSafeInteger(this.readingsPerCommand) && this.readingsPerCommand > 0))
      throw new RangeError(`FeedIngestion: readingsPerCommand must be a positive integer, got ${this.readingsPerCommand}`);
    this.askTimeoutMs = options.askTimeoutMs ?? 60_000;
    if (!(this.askTimeoutMs > 0)) throw new RangeError(`FeedIngestion: askTimeoutMs must be positive, got ${this.askTimeoutMs}`);
  }

  /**
   * Ingests CSV lines. Each line is parsed; a malformed one is refused with its line number
   * and reason; the others go to their stations, in order, `readingsPerCommand` at a time.
   * @throws IngestError when a station cannot store (the journal failed): what it
   *   acknowledged before stays stored, and uploading the feed again stores the rest.
   */
  async ingestLines(lines: readonly string[]): Promise<FeedReport> {
    const refused: ReadingRefusal[] = [];
    const byStation = new Map<string, { readings: Reading[]; lineNumbers: number[] }>();
    let count = 0;
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      count++;
      const result = parseReadingLine(line);
      if (!result.ok) return void refused.push({ line: i + 1, reason: result.reason });
      let group = byStation.get(result.reading.stationId);
      if (group === undefined) byStation.set(result.reading.stationId, (group = { readings: [], lineNumbers: [] }));
      group.readings.push(result.reading);
      group.lineNumbers.push(i + 1);
    });
    let stored = 0;
    let duplicates = 0;
    const replies: Promise<void>[] = [];
    for (const [stationId, { readings, lineNumbers }] of byStation) {
      for (let start = 0; start < readings.length; start += this.readingsPerCommand) {
        const chunk = readings.slice(start, start + this.readingsPerCommand);
        replies.push(
          this.record(stationId, chunk).then((reply) => {
            stored += reply.stored;
            duplicates += reply.duplicates;
            for (const { index, reason } of reply.refused) refused.push({ line: lineNumbers[start + index] as number, reason });
          }),
        );
      }
    }
    await Promise.all(replies);
    refused.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    return { lines: count, stored, duplicates, refused };
  }

  /** Ingests one reading given as an object (a JSON body): `refused` holds the reason if it was not valid. */
  async ingestReading(input: unknown): Promise<{ readonly stored: boolean; readonly duplicate: boolean; readonly refused?: string }> {
    const result = validateReading(input);
    if (!result.ok) return { stored: false, duplicate: false, refused: result.reason };
    const reply = await this.record(result.reading.stationId, [result.reading]);
    const refusal = reply.refused[0];
    if (refusal !== undefined) return { stored: false, duplicate: false, refused: refusal.reason };
    return { stored: reply.stored === 1, duplicate: reply.duplicates === 1 };
  }

  private async record(stationId: string, readings: readonly Reading[]): Promise<Extract<RecordReply, { ok: true }>> {
    let reply: RecordReply;
    try {
      reply = await this.stations.ask<RecordReply>((replyTo) => ({ type: 'to-station', stationId, command: { type: 'record', readings, replyTo } }), { timeoutMs: this.askTimeoutMs });
    } catch (error) {
      throw new IngestError(`station ${stationId} did not answer: ${(error as Error).message}`, error);
    }
    if (!reply.ok) throw new IngestError(`station ${stationId}: ${reply.reason}`);
    return reply;
  }
}
