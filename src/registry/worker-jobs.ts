// Worker thread of the re-scan pool. It opens the registry read-only (facts cache, record text), loads the
// rule set itself and checks that it is the one the run uses, then runs jobs: one scan job, or a batch of
// eval jobs, per message. Results go back to the main thread, which does every write.
import { parentPort, workerData } from 'node:worker_threads';
import { closeHashPool } from '../hash/hash.js';
import { loadRuleSet } from '../rules/load.js';
import { openRegistry } from './db.js';
import { Evaluator } from './evaluate.js';
import { JobRunner, type EvalJob, type EvalJobResult, type ScanJob } from './job.js';
import type { PoolInit, PoolRequest } from './pool.js';

const init = workerData as PoolInit;
const db = openRegistry(init.dbPath, { readonly: true });
const ruleSet = init.rulesDir ? loadRuleSet(init.rulesDir) : loadRuleSet();
const runner = new JobRunner(db, new Evaluator(ruleSet, init.today));

function evalOne(job: EvalJob): EvalJobResult {
  try {
    return runner.evalJob(job);
  } catch (e) {
    return { packageId: job.packageId, error: { code: 'E_INTERNAL', message: ((e as Error)?.stack ?? String(e)).split('\n').slice(0, 3).join(' | ') } };
  }
}

parentPort!.on('message', (msg: PoolRequest) => {
  if (msg.kind === 'close') {
    db.close();
    void closeHashPool().then(() => parentPort!.close());
    return;
  }
  if (ruleSet.digest !== init.rulesDigest) {
    // The rules on disk changed after the run started: refuse rather than mix two rule sets in one run.
    const error = { code: 'E_CONFIG', message: `the rules changed during the run (digest ${ruleSet.digest.slice(0, 12)}, run uses ${init.rulesDigest.slice(0, 12)})` };
    parentPort!.postMessage({ id: msg.id, result: msg.kind === 'eval' ? msg.jobs.map((j) => ({ packageId: j.packageId, error })) : { path: msg.job.path, parserVersion: '', cached: false, ms: 0, error } });
    return;
  }
  if (msg.kind === 'eval') {
    parentPort!.postMessage({ id: msg.id, result: msg.jobs.map(evalOne) });
    return;
  }
  void runner.scanJob(msg.job as ScanJob).then((result) => parentPort!.postMessage({ id: msg.id, result }));
});
