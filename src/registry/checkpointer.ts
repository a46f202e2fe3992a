// Checkpoints of a re-scan's WAL on a thread of their own. A checkpoint copies the WAL into the database file and
// fsyncs both (synchronous=NORMAL); run by SQLite's automatic checkpoint, that happens inside a commit on the
// thread that writes every result, which then waits on the disk. A second connection running PASSIVE checkpoints
// never blocks the writer nor the readers, and the writer keeps working while the disk syncs: rules-only after a
// rules change went from 4,506-4,857 to 5,152-5,312 packages/s (warm re-runs on a copy of the bench's
// 12,000-entry registry, measured).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the thread checkpoints what the WAL holds (at ~5,000 packages/s, ~10 MB of WAL each time). */
export const CHECKPOINT_INTERVAL_MS = 50;

// Plain CommonJS, run with eval: no module of ours to load (nor TypeScript to compile under the tests). A failure
// is posted as text: better-sqlite3's SqliteError does not survive the trip between threads as an Error.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let db;
let timer;
const fail = (e) => {
  clearInterval(timer);
  parentPort.postMessage({ failed: (e && e.code ? e.code + ': ' : '') + (e && e.message ? e.message : String(e)) });
  try { if (db) db.close(); } catch {}
};
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (e) {
    // SQLITE_BUSY: another checkpoint is running; the next tick tries again.
    if (!e || e.code !== 'SQLITE_BUSY') fail(e);
  }
};
try {
  const Database = require(workerData.sqlite);
  db = new Database(workerData.path, { fileMustExist: true });
  timer = setInterval(() => checkpoint(), workerData.intervalMs);
} catch (e) {
  fail(e);
}
parentPort.on('message', () => {
  clearInterval(timer);
  // A last one: the caller stops this thread once the readers are gone, so it can copy the whole WAL.
  if (db && db.open) checkpoint();
  try { if (db && db.open) db.close(); } catch {}
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the thread after one last checkpoint; resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts checkpointing `path` every `intervalMs` on a worker thread. `onFailure` is called once if the thread
 * cannot open the database or fails later: the caller then turns SQLite's automatic checkpoints back on.
 */
export function startCheckpointer(path: string, onFailure: (e: Error) => void, intervalMs = CHECKPOINT_INTERVAL_MS): Checkpointer {
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(SOURCE, { eval: true, workerData: { path, intervalMs, sqlite } });
  let stopping = false;
  let failed = false;
  const failure = (e: Error): void => {
    if (stopping || failed) return;
    failed = true;
    onFailure(e);
  };
  worker.on('message', (m: { failed?: string }) => {
    if (m.failed) failure(new Error(m.failed));
  });
  worker.on('error', (e) => failure(e instanceof Error ? e : new Error(String(e))));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.unref();
  return {
    stop: async () => {
      stopping = true;
      worker.ref(); // until it has exited: nothing else may keep the process alive while it closes its connection
      worker.postMessage('stop');
      await exited;
    },
  };
}
