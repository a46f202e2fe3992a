// The one worker-thread pool of eduscan: the registry's re-scan and the reviewer service both parse packages
// here, so a slow, hostile or crashing package never blocks or takes down the thread that called.
//  - A fixed set of worker threads, one job at a time each. A job is a kind and a payload; every pool runs
//    `scan` ({path, options} -> facts), and a caller may add kinds with a job module loaded in each worker
//    (the registry's read-only database and rule set live there).
//  - A job ends with its value or a typed error {code, message} (POOL_ERROR_CODES for what the pool ends);
//    the pool itself never rejects.
//  - A job past its time limit gets its worker terminated (the only way to stop a parser stuck in a loop) and
//    ends with E_LIMIT; a worker that dies (an uncaught error, process.exit, out of heap under its resource
//    limits) fails only its own job. Either way a fresh worker takes the slot at once.
//  - The queue of jobs waiting for a worker is bounded: past it a job ends at once with E_QUEUE_FULL, and
//    `full` lets a caller refuse work before it starts (the service answers 503).
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { isEduscanError } from '../errors.js';
import type { PackageFacts } from '../facts/schema.js';
import type { ScanOptions } from '../scan.js';

/** Codes the pool itself ends a job with (a job's own errors keep their EduscanError code). */
export const POOL_ERROR_CODES = {
  E_LIMIT: 'the job ran past its time limit, or its worker ran out of heap (see `limit`)',
  E_INTERNAL: 'the worker died (an uncaught error, process.exit), or a bug in the job',
  E_QUEUE_FULL: 'the queue of waiting jobs is full; retry later',
  E_CANCELLED: 'the pool was closed before the job could finish',
} as const;

/** The pool limit that ended a job, when one did. */
export type PoolLimit = 'timeoutMs' | 'maxOldGenerationSizeMb';

export interface JobError {
  code: string;
  message: string;
  limit?: PoolLimit;
}

export type JobOutcome<R> = { value: R; error?: undefined } | { value?: undefined; error: JobError };

/** What a job's thrown value becomes: an EduscanError keeps its code; anything else is a bug, E_INTERNAL. */
export function jobErrorOf(e: unknown): JobError {
  if (isEduscanError(e)) return { code: e.code, message: e.message };
  // The first lines of the stack say where the bug is.
  return { code: 'E_INTERNAL', message: ((e as Error)?.stack ?? String(e)).split('\n').slice(0, 3).join(' | ') };
}

/** Job kinds by name: what goes in, what comes out (both structured-cloneable). */
export type JobMap = Record<string, { payload: unknown; result: unknown }>;

export interface ScanRequest {
  path: string;
  options?: ScanOptions;
}

export type BuiltinJobs = {
  scan: { payload: ScanRequest; result: PackageFacts };
};

/** What a job module gives a worker: a handler per added kind, and what to release when the pool closes. */
export interface WorkerJobs<X extends JobMap> {
  handlers: { [K in keyof X]: (payload: X[K]['payload']) => X[K]['result'] | Promise<X[K]['result']> };
  dispose?(): void | Promise<void>;
}

/** The export a job module must have; `init` is the pool's `jobs.init`, cloned into each worker. */
export type CreateJobs<X extends JobMap> = (init: never) => WorkerJobs<X> | Promise<WorkerJobs<X>>;

export interface PoolOptions {
  /** Worker threads (default: the cores this process may use). */
  size?: number;
  /** Jobs that may wait for a worker; one more ends with E_QUEUE_FULL (default: no bound). */
  maxQueued?: number;
  /** Default time limit of a job from the moment a worker takes it (default: none). */
  timeoutMs?: number;
  /** Per-worker V8 limits (default: WORKER_RESOURCE_LIMITS). */
  resourceLimits?: ResourceLimits;
  /** A module (URL, see jobModuleUrl) whose `createJobs(init)` adds job kinds in every worker. */
  jobs?: { module: URL; init?: unknown };
}

/** Data each worker starts with. */
export interface WorkerInit {
  jobsModule?: string;
  jobsInit?: unknown;
}

export type ToWorker = { type: 'job'; id: number; kind: string; payload: unknown } | { type: 'close' };
export type FromWorker = { id: number; value: unknown } | { id: number; error: JobError } | { ready: true };

/**
 * Heap a worker may use: past it the job fails with E_LIMIT and the worker is replaced, instead of the process
 * growing. Parsers stream and cap what they allocate (src/limits.ts; Buffers live outside the V8 heap): every
 * corpus package and the 150 MB bench packages parse within 48 MB. The cap is not lower on purpose: V8 scales
 * its heap growing factor down for a heap limit below 1024 MB x pointer size / 4 (HeapController::kMaxSize,
 * 2048 MB on 64-bit Node), so more full GCs ran — measured on the rescan bench, 256 MB and 1024 MB cost ~25%
 * more CPU per package, 2048 MB the same as no cap. V8's own default (physical memory based) wins when lower.
 * Neither pool this one replaced had a cap.
 */
export const WORKER_HEAP_MB = Math.min(2048, Math.floor(getHeapStatistics().heap_size_limit / (1024 * 1024)));
export const WORKER_RESOURCE_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: WORKER_HEAP_MB };

/** A time limit long enough for any honest package (a 150 MB APK parses in under a second). */
export const DEFAULT_JOB_TIMEOUT_MS = 5 * 60_000;

/** How long a closing worker may take to release its resources before it is stopped. */
const CLOSE_WAIT_MS = 1000;
/** Workers in a row that die before they are ready: the worker code cannot load, so stop respawning. */
const MAX_FAILED_STARTS = 3;

const FROM_SOURCE = fileURLToPath(import.meta.url).endsWith('.ts');

/**
 * The URL of a module next to `base` (an import.meta.url): plain JS from dist/, TypeScript from src/ (tests).
 * `name` is without an extension.
 */
export function jobModuleUrl(base: string, name: string): URL {
  return new URL(`${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

const WORKER_URL = jobModuleUrl(import.meta.url, './scan-worker');
// From src/ the worker registers tsx itself: an --import in execArgv does not reach worker threads on Node 20.
const TS_BOOTSTRAP = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;

interface Task {
  id: number;
  kind: string;
  payload: unknown;
  timeoutMs: number;
  resolve: (r: JobOutcome<unknown>) => void;
}

interface Slot {
  worker: Worker;
  task?: Task;
  timer?: NodeJS.Timeout;
  ready?: boolean;
  /** The error the worker died of, reported with its exit. */
  failure?: JobError;
}

type Kinds<X extends JobMap> = BuiltinJobs & X;
type Payload<X extends JobMap, K extends keyof Kinds<X>> = Kinds<X>[K]['payload'];
type Result<X extends JobMap, K extends keyof Kinds<X>> = Kinds<X>[K]['result'];

function crashError(e: Error & { code?: string }, limits: ResourceLimits): JobError {
  if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return { code: 'E_LIMIT', limit: 'maxOldGenerationSizeMb', message: `the job used more than the worker's ${limits.maxOldGenerationSizeMb ?? '?'} MB of heap` };
  }
  return { code: 'E_INTERNAL', message: `the worker failed: ${e.message.split('\n')[0]}` };
}

export class ScanPool<X extends JobMap = Record<never, never>> {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  /** Workers stopped after a time limit, still exiting; close() waits for them. */
  private readonly stopping = new Set<Promise<number>>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly maxQueued: number;
  private readonly timeoutMs: number;
  private readonly limits: ResourceLimits;
  private readonly init: WorkerInit;
  private nextId = 1;
  /** No new jobs (close() was called). */
  private closed = false;
  /** Workers are no longer replaced (close() is past its grace period). */
  private stopped = false;
  private failedStarts = 0;
  /** Set when workers cannot start: every job ends with it. */
  private broken: JobError | undefined;
  private closing: Promise<void> | undefined;

  constructor(opts: PoolOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.size ?? availableParallelism()));
    this.maxQueued = opts.maxQueued ?? Infinity;
    this.timeoutMs = opts.timeoutMs ?? Infinity;
    this.limits = opts.resourceLimits ?? WORKER_RESOURCE_LIMITS;
    this.init = opts.jobs ? { jobsModule: opts.jobs.module.href, jobsInit: opts.jobs.init } : {};
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  get stats(): { workers: number; busy: number; queued: number } {
    return { workers: this.slots.length, busy: this.slots.filter((s) => s.task).length, queued: this.queue.length };
  }

  /** A job submitted now would be refused (E_QUEUE_FULL, or the pool is closed). */
  get full(): boolean {
    return this.closed || (this.queue.length >= this.maxQueued && this.slots.every((s) => s.task));
  }

  /** Parses one package in a worker: its facts, or the typed error of the parse or of the pool. */
  scan(path: string, options?: ScanOptions, run: { timeoutMs?: number } = {}): Promise<JobOutcome<PackageFacts>> {
    return this.run('scan', { path, ...(options ? { options } : {}) }, run);
  }

  run<K extends keyof Kinds<X> & string>(kind: K, payload: Payload<X, K>, run: { timeoutMs?: number } = {}): Promise<JobOutcome<Result<X, K>>> {
    if (this.closed) return Promise.resolve({ error: { code: 'E_CANCELLED', message: 'the scan pool is closed' } });
    if (this.broken) return Promise.resolve({ error: this.broken });
    if (this.full) return Promise.resolve({ error: { code: 'E_QUEUE_FULL', message: `the scan queue is full (${this.maxQueued} waiting)` } });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, kind, payload, timeoutMs: run.timeoutMs ?? this.timeoutMs, resolve: resolve as Task['resolve'] });
      this.pump();
    });
  }

  private spawn(): Slot {
    const opts = { workerData: this.init, resourceLimits: this.limits };
    const worker = FROM_SOURCE ? new Worker(TS_BOOTSTRAP, { ...opts, eval: true }) : new Worker(WORKER_URL, opts);
    const slot: Slot = { worker };
    worker.on('message', (m: FromWorker) => {
      if ('ready' in m) {
        slot.ready = true;
        this.failedStarts = 0;
        return;
      }
      if (slot.task?.id !== m.id) return;
      this.settle(slot, 'error' in m ? { error: m.error } : { value: m.value });
    });
    // An uncaught error (or running out of heap) comes first, then the exit; the job ends with the exit.
    worker.on('error', (e) => {
      slot.failure ??= crashError(e, this.limits);
    });
    worker.on('exit', (code) => {
      if (!this.slots.includes(slot)) return; // retired after a time limit, or released by close()
      const error = slot.failure ?? { code: 'E_INTERNAL', message: `the worker exited with code ${code}` };
      if (!slot.ready && ++this.failedStarts >= MAX_FAILED_STARTS) this.broken = { code: 'E_INTERNAL', message: `the scan workers cannot start: ${error.message}` };
      this.replace(slot);
      this.settle(slot, { error });
      if (this.broken) for (const t of this.queue.splice(0)) t.resolve({ error: this.broken });
    });
    worker.unref();
    return slot;
  }

  private settle(slot: Slot, r: JobOutcome<unknown>): void {
    const t = slot.task;
    clearTimeout(slot.timer);
    slot.task = undefined;
    slot.timer = undefined;
    t?.resolve(r);
    this.pump();
  }

  /** Gives a dead or stopped worker's slot a fresh worker (none once the pool is stopping); false if it was gone. */
  private replace(slot: Slot): boolean {
    const i = this.slots.indexOf(slot);
    if (i < 0) return false;
    if (this.stopped || this.broken) this.slots.splice(i, 1);
    else this.slots[i] = this.spawn();
    return true;
  }

  /** Takes a busy worker out of the pool and stops it, ending its job with `error`. */
  private retire(slot: Slot, error: JobError): void {
    if (!this.replace(slot)) return;
    const exited = slot.worker.terminate();
    this.stopping.add(exited);
    void exited.finally(() => this.stopping.delete(exited));
    this.settle(slot, { error });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.task || this.queue.length === 0) continue;
      const t = this.queue.shift()!;
      slot.task = t;
      slot.worker.ref();
      if (Number.isFinite(t.timeoutMs)) {
        // The time limit counts from the start of the job, not from its wait in the queue.
        slot.timer = setTimeout(() => this.retire(slot, {
          code: 'E_LIMIT', limit: 'timeoutMs', message: `the scan took longer than ${t.timeoutMs < 1000 ? `${t.timeoutMs} ms` : `${Math.round(t.timeoutMs / 1000)} s`}`,
        }), t.timeoutMs);
      }
      slot.worker.postMessage({ type: 'job', id: t.id, kind: t.kind, payload: t.payload } satisfies ToWorker);
    }
    // Idle workers must not keep the process alive.
    for (const slot of this.slots) if (!slot.task) slot.worker.unref();
    if (this.queue.length === 0 && this.slots.every((s) => !s.task)) for (const w of this.idleWaiters.splice(0)) w();
  }

  /**
   * Refuses new jobs, lets the queued and running ones finish for up to `graceMs` (default: as long as they
   * take; 0 cancels at once), ends what is left with E_CANCELLED, then stops every worker.
   */
  close(opts: { graceMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(opts.graceMs ?? Infinity);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.closed = true;
    if (graceMs > 0 && (this.queue.length > 0 || this.slots.some((s) => s.task))) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await (Number.isFinite(graceMs) ? Promise.race([idle, new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); })]) : idle);
      clearTimeout(timer);
    }
    this.stopped = true;
    for (const t of this.queue.splice(0)) t.resolve({ error: { code: 'E_CANCELLED', message: 'the scan pool closed before the job started' } });
    for (const slot of [...this.slots]) if (slot.task) this.retire(slot, { code: 'E_CANCELLED', message: 'the scan pool closed while the job ran' });
    await Promise.all([...this.slots.splice(0).map((s) => this.release(s)), ...this.stopping]);
  }

  /** Asks an idle worker to release its resources and exit; one that does not in time is stopped. */
  private release(slot: Slot): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => void slot.worker.terminate(), CLOSE_WAIT_MS);
      slot.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      slot.worker.postMessage({ type: 'close' } satisfies ToWorker);
    });
  }
}
