// An upload goes straight to a temporary file; MD5 and SHA-256 are updated chunk by chunk on the way, and the
// size cap is checked on every chunk, so neither memory nor disk ever holds more than the cap. Any failure
// (cap, client abort, disk error) removes the partial file before the error propagates.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class UploadTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`upload is larger than ${maxBytes} bytes`);
  }
}

export interface StoredUpload {
  path: string;
  size: number;
  md5: string;
  sha256: string;
}

class HashingCap extends Transform {
  size = 0;
  readonly md5 = createHash('md5');
  readonly sha256 = createHash('sha256');
  constructor(private readonly maxBytes: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      cb(new UploadTooLargeError(this.maxBytes));
      return;
    }
    this.md5.update(chunk);
    this.sha256.update(chunk);
    cb(null, chunk);
  }
}

export function tempPath(dir: string, ext: string): string {
  return join(dir, `upload-${process.pid}-${randomBytes(8).toString('hex')}${ext}`);
}

/** Streams `source` to a new file in `dir`; `abort` lets the caller fail the copy (client went away). */
export async function streamToTemp(source: Readable, dir: string, ext: string, maxBytes: number, signal?: AbortSignal): Promise<StoredUpload> {
  const path = tempPath(dir, ext);
  const cap = new HashingCap(maxBytes);
  try {
    await pipeline(source, cap, createWriteStream(path, { flags: 'wx' }), signal ? { signal } : {});
  } catch (e) {
    rmSync(path, { force: true });
    throw e;
  }
  return { path, size: cap.size, md5: cap.md5.digest('hex'), sha256: cap.sha256.digest('hex') };
}
