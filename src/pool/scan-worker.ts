// A worker thread of the scan pool: jobs in, values or typed errors out, one at a time (the pool sends the next
// one only when this one has answered). `scan` is built in; a job module named by the pool adds more kinds and
// holds what they need (a database connection, a rule set) for the life of the worker.
import { parentPort, workerData } from 'node:worker_threads';
import { closeHashPool } from '../hash/hash.js';
import { jobErrorOf, type BuiltinJobs, type CreateJobs, type FromWorker, type JobError, type JobMap, type ScanRequest, type ToWorker, type WorkerInit, type WorkerJobs } from './scan-pool.js';

type Handler = (payload: unknown) => unknown;

const init = workerData as WorkerInit;
const port = parentPort!;

const builtin: WorkerJobs<BuiltinJobs> = {
  // The parsers load with the first scan: a worker that only runs a job module's kinds (a rules-only re-scan
  // checks stored facts) never needs them.
  handlers: { scan: async (r: ScanRequest) => (await import('../scan.js')).scanPackage(r.path, r.options) },
};

/** The handlers, or why the job module could not start (then every job ends with that error). */
async function setUp(): Promise<{ handlers: Record<string, Handler>; dispose?: () => void | Promise<void> } | JobError> {
  if (!init.jobsModule) return builtin as { handlers: Record<string, Handler> };
  try {
    const mod = (await import(init.jobsModule)) as { createJobs?: CreateJobs<JobMap> };
    if (typeof mod.createJobs !== 'function') return { code: 'E_INTERNAL', message: `the job module ${init.jobsModule} has no createJobs export` };
    const added = await mod.createJobs(init.jobsInit as never);
    // The built-in kinds cannot be replaced by a module.
    return { handlers: { ...(added.handlers as Record<string, Handler>), ...(builtin.handlers as Record<string, Handler>) }, ...(added.dispose ? { dispose: () => added.dispose!() } : {}) };
  } catch (e) {
    return jobErrorOf(e);
  }
}

const ready = setUp();
void ready.then(() => port.postMessage({ ready: true } satisfies FromWorker));

async function runJob(id: number, kind: string, payload: unknown): Promise<void> {
  const jobs = await ready;
  if ('code' in jobs) return port.postMessage({ id, error: jobs } satisfies FromWorker);
  const handler = Object.hasOwn(jobs.handlers, kind) ? jobs.handlers[kind] : undefined;
  if (!handler) return port.postMessage({ id, error: { code: 'E_INTERNAL', message: `no job kind \`${kind}\` in this pool` } } satisfies FromWorker);
  let reply: FromWorker;
  try {
    reply = { id, value: await handler(payload) };
  } catch (e) {
    reply = { id, error: jobErrorOf(e) };
  }
  try {
    port.postMessage(reply);
  } catch (e) {
    // A value that cannot cross threads (a function, a class instance with private state) is a bug of the job.
    port.postMessage({ id, error: jobErrorOf(e) } satisfies FromWorker);
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'job') {
    void runJob(msg.id, msg.kind, msg.payload);
    return;
  }
  void ready
    .then(async (jobs) => {
      if (!('code' in jobs)) await jobs.dispose?.();
      await closeHashPool();
    })
    .finally(() => port.close());
});
