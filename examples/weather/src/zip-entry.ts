import { inflateRawSync } from 'node:zlib';

/**
 * The content of the one file in a ZIP archive (stored or deflated), such as KillrWeather's
 * load set. Reads the central directory, so sizes written after the data are found too.
 * @throws TypeError when the archive is not one file stored or deflated
 */
export function readSingleZipEntry(zip: Buffer): Buffer {
  // End of central directory: signature 0x06054b50, at most 64 KiB of comment after it.
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new TypeError('not a ZIP archive (no end of central directory)');
  const entries = zip.readUInt16LE(eocd + 10);
  let central = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(central) !== 0x02014b50) throw new TypeError('ZIP central directory is damaged');
    const method = zip.readUInt16LE(central + 10);
    const compressedSize = zip.readUInt32LE(central + 20);
    const size = zip.readUInt32LE(central + 24);
    const nameLength = zip.readUInt16LE(central + 28);
    const extraLength = zip.readUInt16LE(central + 30);
    const commentLength = zip.readUInt16LE(central + 32);
    const localHeader = zip.readUInt32LE(central + 42);
    const name = zip.toString('utf8', central + 46, central + 46 + nameLength);
    central += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    const content = method === 0 ? data : method === 8 ? inflateRawSync(data) : undefined;
    if (content === undefined) throw new TypeError(`ZIP entry ${name} uses compression method ${method}; only stored (0) and deflated (8) are read`);
    if (content.length !== size) throw new TypeError(`ZIP entry ${name} unpacked to ${content.length} bytes, expected ${size}`);
    return content;
  }
  throw new TypeError('the ZIP archive holds no file');
}
