import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { EduscanError } from '../errors.js';

/**
 * Random access to the bytes of a package. Parsers take this instead of a path so that they never hold
 * the whole package in memory and can be tested on in-memory buffers.
 */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset`; throws E_ZIP_CORRUPT when that range is outside the source. */
  read(offset: number, length: number): Buffer;
  close(): void;
}

function checkRange(size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new EduscanError(
      'E_ZIP_CORRUPT',
      `read out of bounds: ${length} bytes at offset ${offset}, but the file has ${size} bytes`,
      { offset },
    );
  }
}

export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number | undefined;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
      const st = fstatSync(this.fd);
      if (!st.isFile()) {
        closeSync(this.fd);
        this.fd = undefined;
        throw new EduscanError('E_IO', `not a regular file: ${path}`);
      }
      this.size = st.size;
    } catch (e) {
      if (e instanceof EduscanError) throw e;
      const err = e as NodeJS.ErrnoException;
      throw new EduscanError('E_IO', `cannot open ${path}: ${err.code ?? err.message}`, { cause: e });
    }
  }

  read(offset: number, length: number): Buffer {
    checkRange(this.size, offset, length);
    if (this.fd === undefined) throw new EduscanError('E_IO', `file already closed: ${this.path}`);
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.fd, buf, done, length - done, offset + done);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new EduscanError('E_IO', `cannot read ${this.path} at offset ${offset + done}: ${err.code ?? err.message}`, { offset: offset + done, cause: e });
      }
      if (n === 0) throw new EduscanError('E_IO', `unexpected end of file at offset ${offset + done} (file changed while reading?)`, { offset: offset + done });
      done += n;
    }
    return buf;
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(private readonly buf: Buffer) {
    this.size = buf.length;
  }
  read(offset: number, length: number): Buffer {
    checkRange(this.size, offset, length);
    return this.buf.subarray(offset, offset + length);
  }
  close(): void {}
}
