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

/** A feed that cannot be read: a broken gzip stream. */
export class FeedDecodeError extends WeatherError {
  constructor(message: string, cause?: unknown) {
    super('ERR_WEATHER_FEED_DECODE', message, { cause });
  }
}

/** A gzip feed that unpacks to more than the limit; refused before it is held in memory. */
export class FeedTooLargeError extends WeatherError {
  constructor(
    /** The limit, in bytes. */
    readonly maxBytes: number,
    cause?: unknown,
  ) {
    super('ERR_WEATHER_FEED_TOO_LARGE', `the feed unpacks to more than ${maxBytes} bytes`, { cause });
  }
}

/** A station did not answer or could not store a reading. */
export class IngestError extends WeatherError {
  constructor(message: string, cause?: unknown) {
    super('ERR_WEATHER_INGEST', message, { cause });
  }
}
