import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { FeedDecodeError, FeedTooLargeError } from './errors.js';

const gunzipAsync = promisify(gunzip);

/**
 * The lines of a CSV feed: plain text, or gzip (recognised by its magic bytes, so the
 * `.csv.gz` files upload as they are). A gzip stream that unpacks beyond `maxBytes` is
 * refused before it is held in memory.
 * @throws FeedDecodeError, FeedTooLargeError
 */
export async function feedLines(body: Buffer, maxBytes: number): Promise<string[]> {
  let text = body;
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) {
    try {
      text = await gunzipAsync(body, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new FeedTooLargeError(maxBytes, error);
      throw new FeedDecodeError(`the gzip stream is broken: ${(error as Error).message}`, error);
    }
  }
  const lines = text.toString('utf8').split('\n');
  // A final newline ends the last line; it does not start another.
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}
