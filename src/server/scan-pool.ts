// Worker threads that parse uploaded packages, one at a time each, so a slow or hostile package never blocks
// the HTTP thread. A scan past its time limit gets its worker terminated (the only way to stop a parser), and
// a worker that dies fails only its own scan; either way a fresh worker takes its place.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PackageFacts } from '../facts/schema.js';

export interface ScanOutcome {
  facts?: PackageFacts;
  error?: { code: string; message: string };
}

interface Task {
  id: number;
  path: string;
  timeoutMs: number;
  resolve: (r: ScanOutcome) => void;
}

interface Slot {
  worker: Worker;
  task?: Task;
  timer?: NodeJS.Timeout;
}

// From dist/ the worker is plain JS; from src/ (tests) it is TypeScript and registers tsx itself (an --import
// in execArgv does not reach worker threads on Node 20).
const FROM_SOURCE = fileURLToPath(import.meta.url).endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './scan-worker.ts' : './scan-worker.js', import.meta.url);
const TS_BOOTSTRAP = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;

export class ServerScanPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = FROM_SOURCE ? new Worker(TS_BOOTSTRAP, { eval: true }) : new Worker(WORKER_URL);
    const slot: Slot = { worker };
    worker.on('message', (m: { id: number } & ScanOutcome) => {
      const t = slot.task;
      if (!t || t.id !== m.id) return;
      this.settle(slot, m.facts ? { facts: m.facts } : { error: m.error ?? { code: 'E_INTERNAL', message: 'no result' } });
    });
    worker.on('error', (e) => this.replace(slot, `scan worker failed: ${e.message.split('\n')[0]}`));
    worker.on('exit', (code) => this.replace(slot, `scan worker exited with code ${code}`));
    worker.unref();
    return slot;
  }

  private settle(slot: Slot, r: ScanOutcome): void {
    const t = slot.task;
    clearTimeout(slot.timer);
    slot.task = undefined;
    slot.timer = undefined;
    t?.resolve(r);
    this.pump();
  }

  private replace(slot: Slot, why: string, code = 'E_INTERNAL'): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    if (!this.closed) this.slots[i] = this.spawn();
    else this.slots.splice(i, 1);
    slot.worker.removeAllListeners('exit');
    this.settle(slot, { error: { code, message: why } });
  }

  run(path: string, timeoutMs: number): Promise<ScanOutcome> {
    if (this.closed) return Promise.resolve({ error: { code: 'E_INTERNAL', message: 'the scan pool is closed' } });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, path, timeoutMs, resolve });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.task || this.queue.length === 0) continue;
      const t = this.queue.shift()!;
      slot.task = t;
      slot.worker.ref();
      slot.timer = setTimeout(() => {
        // The time limit counts from the start of parsing, not from the wait in the queue.
        this.replace(slot, `the scan took longer than ${Math.round(t.timeoutMs / 1000)} s`, 'E_LIMIT');
        void slot.worker.terminate();
      }, t.timeoutMs);
      slot.worker.postMessage({ id: t.id, path: t.path });
    }
    for (const slot of this.slots) if (!slot.task) slot.worker.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.resolve({ error: { code: 'E_INTERNAL', message: 'the server shut down' } });
    await Promise.all(this.slots.map((s) => {
      s.worker.removeAllListeners('exit');
      return s.worker.terminate();
    }));
  }
}
