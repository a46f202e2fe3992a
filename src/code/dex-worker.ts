// The dex worker thread (see dex-pool.ts): for each package in order it reads the central directory and claims
// the primary dex files one by one from the first (those the scan thread has not taken), recording each
// (dex-job.ts) for the scan thread. It skips packages the scan thread has passed.
import { workerData } from 'node:worker_threads';
import { FileSource } from '../io/source.js';
import { resolveLimits } from '../limits.js';
import { openZip } from '../zip/zip.js';
import { primaryDexEntries, runDexJob, sideZip } from './dex-job.js';
import { jobState, JobState, MAIN_AT, SLOTS, type DexWorkerData, type DexWorkerMessage } from './dex-pool.js';
import { loadCodeRules } from './load.js';

const { paths, limits: given, states: sab, port } = workerData as DexWorkerData;
const states = new Int32Array(sab);
const limits = resolveLimits(given);
const rules = loadCodeRules();

for (let k = 0; k < paths.length; k++) {
  k = Math.max(k, Atomics.load(states, MAIN_AT));
  if (k >= paths.length) break;
  let source: FileSource | undefined;
  try {
    source = new FileSource(paths[k]!);
    const zip = openZip(source, limits);
    const dex = primaryDexEntries(zip);
    const side = sideZip(zip);
    for (let i = 0; i < Math.min(dex.length, SLOTS); i++) {
      // The scan thread has moved on (this package failed early there): nobody needs the rest.
      if (Atomics.load(states, MAIN_AT) > k) break;
      const at = jobState(k, i);
      if (Atomics.compareExchange(states, at, JobState.Pending, JobState.Worker) !== JobState.Pending) continue;
      let msg: DexWorkerMessage;
      try {
        msg = { k, i, rec: runDexJob(side, dex[i]!, rules) };
      } catch (e) {
        msg = { k, i, failed: (e as Error)?.stack ?? String(e) };
      }
      port.postMessage(msg);
      Atomics.store(states, at, JobState.Done);
      Atomics.notify(states, at);
    }
  } catch {
    // The scan thread reads this package itself and says what is wrong with it.
  } finally {
    source?.close();
  }
}
