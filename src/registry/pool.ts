// A fixed set of worker threads running registry jobs, one message at a time per worker: a scan job, or a
// batch of eval jobs. A worker that dies (a crash, an out-of-memory abort) fails only its own message, with
// E_INTERNAL, and is replaced.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PARSER_VERSION } from '../scan.js';
import type { EvalJob, EvalJobResult, ScanJob, ScanJobResult } from './job.js';

export interface PoolInit {
  dbPath: string;
  /** Rules folder (default: the shipped rules/), and the digest the run was started with. */
  rulesDir?: string;
  rulesDigest: string;
  today: string;
}

export type PoolRequest =
  | { id: number; kind: 'scan'; job: ScanJob }
  | { id: number; kind: 'eval'; jobs: EvalJob[] }
  | { id: number; kind: 'close' };

type Request = Exclude<PoolRequest, { kind: 'close' }>;

interface Task {
  req: Request;
  resolve: (r: unknown) => void;
}

interface Slot {
  worker: Worker;
  task?: Task;
}

// From dist/ the worker is plain JS; from src/ (tests) it is TypeScript, loaded through tsx's loader, which a
// worker must register itself (an --import in execArgv does not reach worker threads on Node 20).
const FROM_SOURCE = fileURLToPath(import.meta.url).endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './scan-worker.ts' : './scan-worker.js', import.meta.url);
const TS_BOOTSTRAP = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;

function crashed(req: Request, message: string): unknown {
  const error = { code: 'E_INTERNAL', message };
  if (req.kind === 'eval') return req.jobs.map((j): EvalJobResult => ({ packageId: j.packageId, error }));
  return { path: req.job.path, parserVersion: PARSER_VERSION, cached: false, ms: 0, error } satisfies ScanJobResult;
}

export class JobPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number, private readonly init: PoolInit) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const workerData = this.init;
    const worker = FROM_SOURCE ? new Worker(TS_BOOTSTRAP, { eval: true, workerData }) : new Worker(WORKER_URL, { workerData });
    const slot: Slot = { worker };
    worker.on('message', (m: { id: number; result: unknown }) => {
      const t = slot.task;
      if (!t || t.req.id !== m.id) return;
      slot.task = undefined;
      t.resolve(m.result);
      this.pump();
    });
    const fail = (why: string) => {
      const t = slot.task;
      slot.task = undefined;
      const i = this.slots.indexOf(slot);
      if (!this.closed && i >= 0) this.slots[i] = this.spawn();
      if (t) t.resolve(crashed(t.req, `registry worker ${why}`));
      this.pump();
    };
    worker.on('error', (e) => fail(`failed: ${e.message.split('\n')[0]}`));
    worker.on('exit', (code) => {
      if (!this.closed) fail(`exited with code ${code}`);
    });
    worker.unref();
    return slot;
  }

  private submit(req: Request): Promise<unknown> {
    return new Promise((resolve) => {
      this.queue.push({ req, resolve });
      this.pump();
    });
  }

  scan(job: ScanJob): Promise<ScanJobResult> {
    return this.submit({ id: this.nextId++, kind: 'scan', job }) as Promise<ScanJobResult>;
  }

  eval(jobs: EvalJob[]): Promise<EvalJobResult[]> {
    return this.submit({ id: this.nextId++, kind: 'eval', jobs }) as Promise<EvalJobResult[]>;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.task || this.queue.length === 0) continue;
      const t = this.queue.shift()!;
      slot.task = t;
      slot.worker.ref();
      slot.worker.postMessage(t.req);
    }
    // Idle workers must not keep the process alive.
    for (const slot of this.slots) if (!slot.task) slot.worker.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => new Promise<void>((resolve) => {
      // A worker that does not close within a second is stopped.
      const timer = setTimeout(() => void s.worker.terminate(), 1000);
      s.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      s.worker.postMessage({ id: 0, kind: 'close' } satisfies PoolRequest);
    })));
  }
}
