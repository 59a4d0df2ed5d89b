import type { ActorRef } from '@troupe/core';
import { PersistentActor } from '@troupe/persistence';
import { type Reading, readingHour, validateReading } from './reading.js';

/** Every weather station event carries this tag: the projection and the batch follow it. */
export const WEATHER_TAG = 'weather';

/** The answer to `record`: what was stored, and why the others were not. */
export type RecordReply =
  | {
      readonly ok: true;
      /** Readings stored (new hours, or corrected values for an hour). */
      readonly stored: number;
      /** Readings identical to what the station already holds for their hour: not stored again. */
      readonly duplicates: number;
      /** Readings refused, by their index in the command. Nothing of them is stored. */
      readonly refused: readonly { readonly index: number; readonly reason: string }[];
    }
  | { readonly ok: false; readonly reason: string };

/** What a station accepts. */
export type WeatherStationCommand = { readonly type: 'record'; readonly readings: readonly Reading[]; readonly replyTo: ActorRef<RecordReply> };

/** What a station stores: one event per hourly reading. */
export type WeatherStationEvent = { readonly type: 'reading-recorded'; readonly reading: Reading };

/** The persistence id of a station's journal. */
export function stationPersistenceId(stationId: string): string {
  return `weather-station-${stationId}`;
}

/**
 * One weather station, event-sourced: it validates each reading (again: it is the
 * authority, whatever parsed the input), refuses what is not valid or not its own,
 * ignores a reading identical to the one it holds for that hour (so a feed can be
 * uploaded twice), and persists the rest in one atomic write per command. A later,
 * different reading of an hour is a correction: the newest wins in every aggregate.
 */
export class WeatherStation extends PersistentActor<WeatherStationCommand, WeatherStationEvent> {
  readonly persistenceId: string;
  /** Hour → the reading held for it, as JSON (compact, and compared whole). */
  private readonly hours = new Map<string, string>();

  constructor(readonly stationId: string) {
    super();
    this.persistenceId = stationPersistenceId(stationId);
  }

  applyEvent(event: WeatherStationEvent): void {
    this.hours.set(readingHour(event.reading), JSON.stringify(event.reading));
  }

  override tagsFor(): readonly string[] {
    return [WEATHER_TAG];
  }

  async receiveCommand(command: WeatherStationCommand): Promise<void> {
    const events: WeatherStationEvent[] = [];
    const refused: { index: number; reason: string }[] = [];
    const inThisCommand = new Map<string, string>();
    let duplicates = 0;
    command.readings.forEach((input, index) => {
      const result = validateReading(input);
      if (!result.ok) return void refused.push({ index, reason: result.reason });
      const { reading } = result;
      if (reading.stationId !== this.stationId) return void refused.push({ index, reason: `reading of station ${reading.stationId} sent to station ${this.stationId}` });
      const hour = readingHour(reading);
      const json = JSON.stringify(reading);
      if ((inThisCommand.get(hour) ?? this.hours.get(hour)) === json) return void duplicates++;
      inThisCommand.set(hour, json);
      events.push({ type: 'reading-recorded', reading });
    });
    if (events.length > 0) {
      try {
        await this.persistAll(events);
      } catch (error) {
        command.replyTo.tell({ ok: false, reason: `not stored: ${(error as Error).message}` });
        throw error;
      }
    }
    command.replyTo.tell({ ok: true, stored: events.length, duplicates, refused });
  }
}
