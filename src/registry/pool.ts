// A fixed set of worker threads running scan jobs, one job per worker at a time. A worker that dies (a crash,
// an out-of-memory abort) fails only its own job, with E_INTERNAL, and is replaced.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PARSER_VERSION } from '../scan.js';
import type { ScanJob, ScanJobResult } from './job.js';

interface Task {
  id: number;
  job: ScanJob;
  resolve: (r: ScanJobResult) => void;
}

interface Slot {
  worker: Worker;
  task?: Task;
}

// From dist/ the worker is plain JS; from src/ (tests) it is TypeScript, loaded through tsx's loader, which a
// worker must register itself (an --import in execArgv does not reach worker threads on Node 20).
const SELF = fileURLToPath(import.meta.url);
const FROM_SOURCE = SELF.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './scan-worker.ts' : './scan-worker.js', import.meta.url);
const TS_BOOTSTRAP = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;

export class ScanPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number, private readonly dbPath?: string) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const workerData = { dbPath: this.dbPath };
    const worker = FROM_SOURCE ? new Worker(TS_BOOTSTRAP, { eval: true, workerData }) : new Worker(WORKER_URL, { workerData });
    const slot: Slot = { worker };
    worker.on('message', (m: { id: number; result: ScanJobResult }) => {
      const t = slot.task;
      if (!t || t.id !== m.id) return;
      slot.task = undefined;
      t.resolve(m.result);
      this.pump();
    });
    const fail = (why: string) => {
      const t = slot.task;
      slot.task = undefined;
      const i = this.slots.indexOf(slot);
      if (!this.closed && i >= 0) this.slots[i] = this.spawn();
      if (t) t.resolve({ path: t.job.path, parserVersion: PARSER_VERSION, cached: false, ms: 0, error: { code: 'E_INTERNAL', message: `scan worker ${why}` } });
      this.pump();
    };
    worker.on('error', (e) => fail(`failed: ${e.message.split('\n')[0]}`));
    worker.on('exit', (code) => {
      if (!this.closed) fail(`exited with code ${code}`);
    });
    worker.unref();
    return slot;
  }

  run(job: ScanJob): Promise<ScanJobResult> {
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, job, resolve });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.task || this.queue.length === 0) continue;
      const t = this.queue.shift()!;
      slot.task = t;
      slot.worker.ref();
      slot.worker.postMessage({ id: t.id, job: t.job });
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
      s.worker.postMessage({ close: true });
    })));
  }
}
