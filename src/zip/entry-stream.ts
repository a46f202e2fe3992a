// One zip entry's inflated bytes as a sequence of chunks, for an entry too big to hold whole (an IPA's main
// executable). The compressed data is read from the ByteSource 1 MiB at a time and inflated by a node:zlib
// stream, which runs on the libuv threadpool: memory stays at a few chunks whatever the entry's size, the
// main thread is free meanwhile, and the caller may stop early (break out of its for-await loop).
// The caps of readEntry apply (the entry's own, the scan's total, the compression ratio); CRC-32 and the
// size are checked when the entry is read to its end.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { EduscanError, LimitError } from '../errors.js';
import type { ByteSource } from '../io/source.js';
import type { Limits } from '../limits.js';
import { METHOD_DEFLATED, METHOD_STORED, entryDataOffset, type ZipArchive, type ZipEntry } from './zip.js';

/** Compressed bytes per read, and the largest inflated chunk handed out. */
export const ENTRY_STREAM_READ_BYTES = 1024 * 1024;
export const ENTRY_STREAM_CHUNK_BYTES = 1024 * 1024;
// Same bound as readEntry: a deflate stream never needs much more input than output (a stored block costs
// 5 bytes per 65535), so a compressed size far above the cap cannot give an acceptable entry.
const DEFLATE_STORED_BLOCK = 65535;
const DEFLATE_BLOCK_OVERHEAD = 5;
const DEFLATE_SLACK_BYTES = 1024;

export interface EntryStreamOptions {
  /** Inflated bytes this entry may give (default limits.maxEntryInflatedBytes). */
  maxBytes?: number;
  /**
   * An entry that declares more than the cap is not refused up front: its first bytes are handed out and
   * the LimitError comes when the output passes the cap (a reader may need only the start of the entry).
   */
  partial?: boolean;
  /** Checks the CRC-32 when the entry is read to its end (default true; a reader that stops early never gets there). */
  crc?: boolean;
  readBytes?: number;
  chunkBytes?: number;
}

function noteOnce(zip: ZipArchive, code: string, detail: string, entry: string): void {
  if (!zip.anomalies.some((a) => a.code === code && a.entry === entry)) zip.anomalies.push({ code, detail, entry });
}

function* pieces(source: ByteSource, offset: number, length: number, size: number): Generator<Buffer> {
  for (let p = 0; p < length; p += size) yield source.read(offset + p, Math.min(size, length - p));
}

/**
 * The entry's inflated bytes, chunk by chunk, in order. Throws LimitError before reading anything when the
 * entry declares (or its compressed size implies) more than the cap (unless opts.partial), and once the
 * output reaches it, after handing out the bytes up to the cap.
 */
export async function* entryChunks(zip: ZipArchive, entry: ZipEntry, opts: EntryStreamOptions = {}): AsyncGenerator<Buffer, void, undefined> {
  const { limits } = zip;
  const maxBytes = opts.maxBytes ?? limits.maxEntryInflatedBytes;
  const readBytes = Math.max(1, opts.readBytes ?? ENTRY_STREAM_READ_BYTES);
  const chunkBytes = Math.max(64, opts.chunkBytes ?? ENTRY_STREAM_CHUNK_BYTES);
  const stored = entry.method === METHOD_STORED;
  const checkCrc = opts.crc ?? true;
  if (!opts.partial && entry.uncompressedSize > maxBytes) {
    throw new LimitError('maxEntryInflatedBytes', `entry ${entry.name} declares ${entry.uncompressedSize} bytes, the limit is ${maxBytes}`);
  }
  if (!opts.partial && !stored && entry.compressedSize > maxBytes + DEFLATE_SLACK_BYTES + Math.ceil(maxBytes / DEFLATE_STORED_BLOCK) * DEFLATE_BLOCK_OVERHEAD) {
    throw new LimitError('maxEntryInflatedBytes', `entry ${entry.name}: ${entry.compressedSize} compressed bytes, more than any deflate stream of at most ${maxBytes} bytes needs`);
  }
  const dataOffset = entryDataOffset(zip, entry);
  // A stored entry is as long as its uncompressed size says: libziparchive copies uncompressed_length bytes.
  const dataLength = stored ? entry.uncompressedSize : entry.compressedSize;
  if (dataOffset + dataLength > zip.source.size) {
    throw new EduscanError('E_ZIP_ENTRY', `entry ${entry.name}: ${dataLength} bytes of data at ${dataOffset} run past the end of the file (${zip.source.size} bytes)`, { offset: dataOffset });
  }
  // Name the cap that binds, so the message says which limit to raise.
  const caps: [keyof Limits, number][] = [
    ['maxEntryInflatedBytes', maxBytes],
    ['maxTotalInflatedBytes', limits.maxTotalInflatedBytes - zip.inflatedTotal],
  ];
  if (!stored) caps.push(['maxCompressionRatio', Math.max(entry.compressedSize, 1) * limits.maxCompressionRatio]);
  const [capName, cap] = caps.reduce((a, b) => (b[1] < a[1] ? b : a));
  if (cap < 0 || (cap === 0 && dataLength > 0)) {
    throw new LimitError('maxTotalInflatedBytes', `reading ${entry.name} would pass the limit of ${limits.maxTotalInflatedBytes} inflated bytes per scan`);
  }
  let produced = 0;
  let crc = 0;
  /** The chunk, or the part of it under the cap followed by the LimitError. */
  function* counted(chunk: Buffer): Generator<Buffer> {
    const room = cap - produced;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    produced += part.length;
    zip.inflatedTotal += part.length;
    if (checkCrc) crc = crc32(part, crc);
    if (part.length > 0) yield part;
    if (part !== chunk) {
      throw new LimitError(capName, `entry ${entry.name} inflates past ${cap} bytes (${capName}; declared ${entry.uncompressedSize}, compressed ${entry.compressedSize}): zip bomb?`);
    }
  }

  if (stored) {
    if (entry.uncompressedSize !== entry.compressedSize) {
      noteOnce(zip, 'ZIP_STORED_SIZE_MISMATCH', `stored entry with compressed size ${entry.compressedSize} and uncompressed size ${entry.uncompressedSize}; read ${entry.uncompressedSize} bytes, as Android does`, entry.name);
    }
    for (const chunk of pieces(zip.source, dataOffset, dataLength, chunkBytes)) yield* counted(chunk);
  } else {
    // libziparchive inflates every entry that is not stored, whatever the method number says.
    if (entry.method !== METHOD_DEFLATED) {
      noteOnce(zip, 'ZIP_UNKNOWN_METHOD', `compression method ${entry.method} is treated as deflate, as Android does`, entry.name);
    }
    const inflater = createInflateRaw({ chunkSize: chunkBytes });
    // One compressed piece buffered ahead at most; the inflater's own buffers hold the rest.
    const input = Readable.from(pieces(zip.source, dataOffset, dataLength, readBytes), { highWaterMark: 1 });
    // Errors surface through the iteration below; this only keeps the pipeline's rejection observed.
    const piping = pipeline(input, inflater).catch((e: unknown) => e);
    let complete = false;
    try {
      for await (const chunk of inflater as AsyncIterable<Buffer>) yield* counted(chunk);
      complete = true;
    } catch (e) {
      if (e instanceof EduscanError) throw e;
      const err = e as NodeJS.ErrnoException;
      throw new EduscanError('E_ZIP_ENTRY', `entry ${entry.name}: cannot inflate ${entry.compressedSize} bytes at offset ${dataOffset}: ${err.message}`, { offset: dataOffset, cause: e });
    } finally {
      if (!complete) {
        // Stopped early (the caller has what it needs) or failed: release the zlib handle and the reader.
        inflater.destroy();
        input.destroy();
      }
      void piping;
    }
  }
  if (produced !== entry.uncompressedSize) {
    noteOnce(zip, 'ZIP_SIZE_MISMATCH', `inflated to ${produced} bytes, the central directory says ${entry.uncompressedSize}`, entry.name);
  }
  if (checkCrc && crc >>> 0 !== entry.crc >>> 0) {
    noteOnce(zip, 'ZIP_CRC_MISMATCH', `CRC-32 of the data is ${(crc >>> 0).toString(16)}, the central directory says ${(entry.crc >>> 0).toString(16)}`, entry.name);
  }
}
