// Types for bench/zip-writer.mjs (used by tests/code/dex-pool.test.ts).
export interface ZipWriterEntry {
  name: string;
  /** 0 stored, 8 deflated (data already deflated). */
  method: number;
  crc: number;
  /** Uncompressed size. */
  size: number;
  /** The bytes as stored in the zip. */
  data: Buffer;
}

export function writeZip(path: string, entries: ZipWriterEntry[]): void;
