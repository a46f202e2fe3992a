// MD5 (the filing form's 安装包MD5码) and SHA-256 of a package in one streaming pass with 1 MiB reads.
// MD5 is the slow one (~550 MB/s, like md5sum) and cannot be split, so it gets a thread of its own that
// also does the reading; for a large file every chunk it reads is handed (transferred, not copied) to a
// second thread for SHA-256 (~1,100 MB/s on SHA-NI). The main thread stays free to parse the package meanwhile.
// Small inputs are hashed inline: starting threads costs more than hashing a few megabytes. Many small files
// (a corpus) go to the reading thread, which then computes SHA-256 itself: the second thread is started only
// for a file of SPLIT_MIN_BYTES or more, where running the two digests side by side shortens the pass.
// This module imports only node builtins so the CLI can start hashing before it loads anything else.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';

export interface FileDigests {
  size: number;
  md5: string;
  sha256: string;
}

const CHUNK_BYTES = 1024 * 1024;
/** Below this many bytes a file is hashed on the calling thread. */
export const INLINE_HASH_MAX_BYTES = 8 * 1024 * 1024;
/** Files from this size on have their SHA-256 computed by a second thread (started for the first such file). */
export const SPLIT_MIN_BYTES = 16 * 1024 * 1024;
/** Chunk buffers in circulation: the reader runs at most this far ahead of SHA-256 (~16 MiB). */
const MAX_CHUNKS_IN_FLIGHT = 16;

export class HashError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export function hashFileSync(path: string): FileDigests {
  const fd = openSync(path, 'r');
  try {
    const md5 = createHash('md5');
    const sha = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let size = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK_BYTES, size);
      if (n === 0) break;
      const part = buf.subarray(0, n);
      md5.update(part);
      sha.update(part);
      size += n;
    }
    return { size, md5: md5.digest('hex'), sha256: sha.digest('hex') };
  } finally {
    closeSync(fd);
  }
}

// Worker sources are plain CommonJS run with eval, so they work the same from src/ (tests) and dist/.
const READER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const { returned, chunkBytes, maxInFlight } = workerData;
const seq = new Int32Array(returned);
// Chunk buffers circulate between the two threads (transferred both ways), so after warm-up no memory is
// allocated or faulted in: fresh 1 MiB buffers per chunk made hashing a third slower.
const free = [];
let allocated = 0;
function takeBuffer() {
  for (;;) {
    const seen = Atomics.load(seq, 0);
    let m;
    while ((m = receiveMessageOnPort(shaPort))) free.push(m.message);
    if (free.length) return Buffer.from(free.pop());
    if (allocated < maxInFlight) { allocated++; return Buffer.allocUnsafeSlow(chunkBytes); }
    Atomics.wait(seq, 0, seen, 100);
  }
}
let shaPort;
let own;
// Both digests here, for a file too small to be worth the second thread.
function hashBoth(id, path) {
  let fd;
  try {
    fd = openSync(path, 'r');
    const md5 = createHash('md5');
    const sha = createHash('sha256');
    const buf = (own ??= Buffer.allocUnsafeSlow(chunkBytes));
    let size = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, chunkBytes, size);
      if (n === 0) break;
      const part = buf.subarray(0, n);
      md5.update(part);
      sha.update(part);
      size += n;
    }
    parentPort.postMessage({ id, size, md5: md5.digest('hex'), sha256: sha.digest('hex') });
  } catch (e) {
    parentPort.postMessage({ id, error: { code: e.code || 'EIO', message: e.message } });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
parentPort.on('message', ({ id, path, split, port }) => {
  if (port) { shaPort = port; return; }
  if (!split) return hashBoth(id, path);
  let fd;
  try {
    fd = openSync(path, 'r');
    const md5 = createHash('md5');
    let size = 0;
    for (;;) {
      const buf = takeBuffer();
      const n = readSync(fd, buf, 0, chunkBytes, size);
      if (n === 0) { free.push(buf.buffer); break; }
      md5.update(buf.subarray(0, n));
      size += n;
      shaPort.postMessage({ id, chunk: buf.buffer, length: n }, [buf.buffer]);
    }
    shaPort.postMessage({ id, end: true });
    parentPort.postMessage({ id, size, md5: md5.digest('hex') });
  } catch (e) {
    shaPort.postMessage({ id, abort: true });
    parentPort.postMessage({ id, error: { code: e.code || 'EIO', message: e.message } });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
`;

const SHA_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { readerPort, returned } = workerData;
const seq = new Int32Array(returned);
const open = new Map();
readerPort.on('message', ({ id, chunk, length, end, abort }) => {
  let h = open.get(id);
  if (!h) { h = createHash('sha256'); open.set(id, h); }
  if (chunk) {
    h.update(new Uint8Array(chunk, 0, length));
    readerPort.postMessage(chunk, [chunk]);
    Atomics.add(seq, 0, 1);
    Atomics.notify(seq, 0);
  } else {
    open.delete(id);
    if (end) parentPort.postMessage({ id, sha256: h.digest('hex') });
  }
});
`;

interface Pending {
  md5?: string;
  size?: number;
  sha256?: string;
  resolve(d: FileDigests): void;
  reject(e: Error): void;
}

class HashPool {
  private readonly reader: Worker;
  /** Started with the first file of SPLIT_MIN_BYTES or more. */
  private sha: Worker | undefined;
  private readonly returned = new SharedArrayBuffer(4);
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor() {
    this.reader = new Worker(READER_SOURCE, {
      eval: true,
      workerData: { returned: this.returned, chunkBytes: CHUNK_BYTES, maxInFlight: MAX_CHUNKS_IN_FLIGHT },
    });
    this.reader.on('message', (m: { id: number; size?: number; md5?: string; sha256?: string; error?: { code: string; message: string } }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.error) {
        this.pending.delete(m.id);
        this.settle();
        p.reject(new HashError(m.error.code, m.error.message));
        return;
      }
      p.md5 = m.md5;
      p.size = m.size;
      if (m.sha256 !== undefined) p.sha256 = m.sha256;
      this.finish(m.id, p);
    });
    this.reader.on('error', (e) => this.fail(e));
    this.settle();
  }

  private fail(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** The SHA-256 thread, connected to the reader by a channel of its own. */
  private shaThread(): void {
    if (this.sha) return;
    const { port1, port2 } = new MessageChannel();
    this.sha = new Worker(SHA_SOURCE, { eval: true, workerData: { readerPort: port2, returned: this.returned }, transferList: [port2] });
    this.reader.postMessage({ port: port1 }, [port1]);
    this.sha.on('message', (m: { id: number; sha256: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      p.sha256 = m.sha256;
      this.finish(m.id, p);
    });
    this.sha.on('error', (e) => this.fail(e));
  }

  hash(path: string, size: number): Promise<FileDigests> {
    const id = this.nextId++;
    const split = size >= SPLIT_MIN_BYTES;
    if (split) this.shaThread();
    return new Promise<FileDigests>((resolvePromise, reject) => {
      this.pending.set(id, { resolve: resolvePromise, reject });
      this.settle();
      this.reader.postMessage({ id, path, split });
    });
  }

  private finish(id: number, p: Pending): void {
    if (p.md5 === undefined || p.sha256 === undefined || p.size === undefined) return;
    this.pending.delete(id);
    this.settle();
    p.resolve({ size: p.size, md5: p.md5, sha256: p.sha256 });
  }

  /** Idle threads must not keep the process alive. */
  private settle(): void {
    const busy = this.pending.size > 0;
    for (const w of [this.reader, this.sha]) {
      if (busy) w?.ref();
      else w?.unref();
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.reader.terminate(), this.sha?.terminate()]);
  }
}

let pool: HashPool | undefined;
const started = new Map<string, Promise<FileDigests>>();

/**
 * Starts hashing `path` (once per path per process) and returns the promise. The CLI calls this for every
 * argument before it loads the parsers, so the hash runs while the rest starts up.
 */
export function startHash(path: string): Promise<FileDigests> {
  return startHashes([path])[0]!;
}

/** Starts several; when they add up to more than a few megabytes they go to the hashing threads. */
export function startHashes(paths: readonly string[]): Promise<FileDigests>[] {
  const keys = paths.map((p) => resolve(p));
  const sizes = keys.map((k) => {
    try {
      return statSync(k).size;
    } catch {
      return 0; // hashNow reports the real error
    }
  });
  const fresh = sizes.reduce((sum, s, i) => sum + (started.has(keys[i]!) ? 0 : s), 0);
  const usePool = pool !== undefined || fresh > INLINE_HASH_MAX_BYTES;
  return keys.map((key, i) => {
    let p = started.get(key);
    if (!p) {
      p = hashNow(key, usePool, sizes[i]!);
      p.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection here
      started.set(key, p);
    }
    return p;
  });
}

/** Takes the memoized hash out of the table so a later scan of a changed file hashes again. */
export function takeHash(path: string): Promise<FileDigests> {
  const key = resolve(path);
  const p = startHash(key);
  started.delete(key);
  return p;
}

async function hashNow(path: string, usePool: boolean, size: number): Promise<FileDigests> {
  if (!usePool) {
    await Promise.resolve(); // keep it asynchronous like the threaded path
    try {
      return hashFileSync(path);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new HashError(err.code ?? 'EIO', err.message);
    }
  }
  pool ??= new HashPool();
  return pool.hash(path, size);
}

export async function closeHashPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  if (p) await p.close();
}
