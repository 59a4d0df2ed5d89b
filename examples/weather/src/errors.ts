/** Base of the example's runtime errors: a stable `code` and the `cause`. */
export class WeatherError extends Error {
  constructor(
    /** Stable, for programs. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A feed that is not a readable CSV text (a broken gzip stream, or bigger than allowed once unzipped). */
export class FeedDecodeError extends WeatherError {
  constructor(message: string, cause?: unknown) {
    super('ERR_WEATHER_FEED_DECODE', message, { cause });
  }
}

/** A station did not answer or could not store a reading. */
export class IngestError extends WeatherError {
  constructor(message: string, cause?: unknown) {
    super('ERR_WEATHER_INGEST', message, { cause });
  }
}
