// The dex worker: one thread that reads and scans the dex files of the packages given to `eduscan scan`
// ahead of the scan itself, so that the code pass runs on the second core while the first one loads the CLI,
// parses manifests and waits for hashes. bin/eduscan.js starts it before loading anything else, as it starts
// the hash; the scan then takes the worker's records (dex-job.ts) and applies them in order.
// Work is shared per dex file through a SharedArrayBuffer of job states: the worker claims a package's dex
// files from the first, the scan thread (once it gets to that package's code pass) from the last, each with a
// compare-and-swap, so every file is read once and neither thread idles while the other has work. The scan
// thread waits for the worker's records synchronously (Atomics.wait + receiveMessageOnPort): the code pass
// stays a plain function call. Anything the worker could not do is simply done by the scan thread.
// This module imports only node builtins (the bin loads it before the rest).
import { resolve } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Limits } from '../limits.js';
import type { DexJobRecord } from './dex-job.js';

/** Shared Int32Array layout: [MAIN_AT] (the package the scan thread is at), then SLOTS dex job states per package. */
const MAIN_AT = 0;
const HEADER = 1;
/** Dex files per package the worker may take (the scan thread reads any beyond). */
export const SLOTS = 64;
const PER_PACKAGE = SLOTS;
/** Packages one pool serves: 16k packages cost 4 MiB of shared states. */
const MAX_PACKAGES = 16_384;
/** States of a dex job. */
export const JobState = { Pending: 0, Worker: 1, Done: 2, Main: 3 } as const;
/** How long the scan thread waits in one go, and in all, for a record the worker claimed. */
const WAIT_SLICE_MS = 1000;
const WAIT_LIMIT_MS = 120_000;

export interface DexWorkerData {
  paths: string[];
  limits: Limits | undefined;
  states: SharedArrayBuffer;
  port: MessagePort;
}

export interface DexWorkerMessage {
  k: number;
  i: number;
  rec?: DexJobRecord;
  /** A bug in the worker for this job: the scan thread reads the file itself (and meets the bug there). */
  failed?: string;
}

export function jobState(k: number, i: number): number {
  return HEADER + k * PER_PACKAGE + i;
}
export { MAIN_AT };

class DexPool {
  private readonly worker: Worker;
  private readonly states: Int32Array;
  private readonly port: MessagePort;
  private readonly received = new Map<string, DexWorkerMessage>();
  private cursor = 0;

  constructor(private readonly paths: string[], private readonly limits: Limits | undefined) {
    const sab = new SharedArrayBuffer(4 * (HEADER + paths.length * PER_PACKAGE));
    this.states = new Int32Array(sab);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: DexWorkerData = { paths, limits, states: sab, port: port2 };
    this.worker = new Worker(new URL('./dex-worker.js', import.meta.url), { workerData: data, transferList: [port2] });
    // Never the reason the process stays up, and a dead worker only means the scan reads the files itself.
    this.worker.unref();
    this.worker.on('error', () => undefined);
  }

  /** The job handle of `path` (its next occurrence in the list), when the worker read with these limits. */
  jobsFor(path: string, limits: Limits): PackageJobs | undefined {
    if (!sameLimits(this.limits, limits)) return undefined;
    const key = resolve(path);
    let k = -1;
    for (let j = this.cursor; j < this.paths.length; j++) {
      if (this.paths[j] === key) {
        k = j;
        break;
      }
    }
    if (k < 0) return undefined;
    this.cursor = k + 1;
    // The worker skips what lies before; this package it may still share, even if it has not reached it yet.
    Atomics.store(this.states, MAIN_AT, k);
    return new PackageJobs(this, k);
  }

  claim(k: number, i: number): boolean {
    return Atomics.compareExchange(this.states, jobState(k, i), JobState.Pending, JobState.Main) === JobState.Pending;
  }

  /** The worker's record of job (k, i), waiting for it; undefined when it failed or takes too long. */
  take(k: number, i: number): DexJobRecord | undefined {
    const at = jobState(k, i);
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (Atomics.load(this.states, at) !== JobState.Done) {
      if (Date.now() > deadline) return undefined;
      Atomics.wait(this.states, at, JobState.Worker, WAIT_SLICE_MS);
    }
    const key = `${k}:${i}`;
    for (;;) {
      const have = this.received.get(key);
      if (have) {
        this.received.delete(key);
        return have.rec;
      }
      const m = receiveMessageOnPort(this.port);
      // Done is set after the message is posted, so it is there; if not, read the file here.
      if (!m) return undefined;
      const msg = m.message as DexWorkerMessage;
      this.received.set(`${msg.k}:${msg.i}`, msg);
    }
  }

  async close(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }
}

/** One package's dex jobs, as seen by the scan thread. */
export class PackageJobs {
  constructor(private readonly pool: DexPool, private readonly k: number) {}

  /**
   * Records for the package's `count` primary dex files, in order. The scan thread takes pending files from
   * the last one down and reads them with `runHere` while the worker works from the first; then it waits for
   * the worker's. An undefined record means "read it yourself" (beyond SLOTS, or the worker failed).
   */
  collect(count: number, runHere: (i: number) => DexJobRecord): (DexJobRecord | undefined)[] {
    const n = Math.min(count, SLOTS);
    const records: (DexJobRecord | undefined)[] = new Array<DexJobRecord | undefined>(count).fill(undefined);
    const mine = new Set<number>();
    for (let i = n - 1; i >= 0; i--) {
      if (this.pool.claim(this.k, i)) {
        mine.add(i);
        records[i] = runHere(i);
      }
    }
    for (let i = 0; i < n; i++) {
      if (mine.has(i)) continue;
      records[i] = this.pool.take(this.k, i);
      if (records[i]) stats.worker++;
    }
    stats.here += mine.size;
    return records;
  }
}

function sameLimits(a: Limits | undefined, b: Limits): boolean {
  if (!a) return false;
  return (Object.keys(b) as (keyof Limits)[]).every((k) => a[k] === b[k]) && Object.keys(a).length === Object.keys(b).length;
}

let pool: DexPool | undefined;
/** Dex files whose records the worker made, and those the scan thread made itself while sharing (for tests). */
const stats = { worker: 0, here: 0 };

export function dexPoolStats(): { worker: number; here: number } {
  return { ...stats };
}

/**
 * Starts the dex worker on these packages (once per process; later calls are ignored). `limits` are the
 * scan's limits: records are used only by scans with the same ones.
 */
export function startDexPool(paths: readonly string[], limits: Limits): void {
  if (pool || paths.length === 0 || paths.length > MAX_PACKAGES) return;
  pool = new DexPool(paths.map((p) => resolve(p)), limits);
}

export function dexJobsFor(path: string, limits: Limits): PackageJobs | undefined {
  return pool?.jobsFor(path, limits);
}

export async function closeDexPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  if (p) await p.close();
}
