// The registry's jobs in the shared scan pool (src/pool/scan-pool.ts). In each worker, createJobs opens the
// registry read-only (facts cache, record text), loads the rule set and checks it is the one the run uses;
// the jobs are a scan job, or a batch of eval jobs, per message. Results go back to the main thread, which
// does every write. A job the pool ends (a crash, out of heap, the time limit) becomes a failed result.
import { DEFAULT_JOB_TIMEOUT_MS, jobErrorOf, jobModuleUrl, ScanPool, type CreateJobs, type JobError } from '../pool/scan-pool.js';
import { loadRuleSet } from '../rules/load.js';
import { PARSER_VERSION } from '../facts/version.js';
import { openRegistry } from './db.js';
import { Evaluator } from './evaluate.js';
import { JobRunner, type EvalJob, type EvalJobResult, type PlanInit, type ScanJob, type ScanJobResult } from './job.js';

export interface RegistryInit {
  dbPath: string;
  /** Rules folder (default: the shipped rules/), and the digest the run was started with. */
  rulesDir?: string;
  rulesDigest: string;
  today: string;
  /** Lets the workers plan each package's issue writes (job.ts PlanInit). */
  plan?: PlanInit;
}

export type RegistryJobs = {
  'registry-scan': { payload: ScanJob; result: ScanJobResult };
  'registry-eval': { payload: EvalJob[]; result: EvalJobResult[] };
};

function failedScan(job: ScanJob, error: JobError): ScanJobResult {
  return { path: job.path, parserVersion: PARSER_VERSION, cached: false, ms: 0, error: { code: error.code, message: error.message } };
}

function failedEvals(jobs: EvalJob[], error: JobError): EvalJobResult[] {
  return jobs.map((j) => ({ packageId: j.packageId, error: { code: error.code, message: error.message } }));
}

export const createJobs: CreateJobs<RegistryJobs> = (init: RegistryInit) => {
  const db = openRegistry(init.dbPath, { readonly: true });
  const ruleSet = init.rulesDir ? loadRuleSet(init.rulesDir) : loadRuleSet();
  const runner = new JobRunner(db, new Evaluator(ruleSet, init.today), init.plan);
  // The rules on disk changed after the run started: refuse rather than mix two rule sets in one run.
  const stale: JobError | undefined = ruleSet.digest === init.rulesDigest ? undefined
    : { code: 'E_CONFIG', message: `the rules changed during the run (digest ${ruleSet.digest.slice(0, 12)}, run uses ${init.rulesDigest.slice(0, 12)})` };
  const evalError = (job: EvalJob, e: unknown): EvalJobResult => ({ packageId: job.packageId, error: jobErrorOf(e) });
  return {
    handlers: {
      'registry-scan': (job) => (stale ? failedScan(job, stale) : runner.scanJob(job)),
      'registry-eval': (jobs) => (stale ? failedEvals(jobs, stale) : runner.evalJobs(jobs, evalError)),
    },
    dispose: () => {
      db.close();
    },
  };
};

/** A pool of `size` workers running registry jobs; what the pool ends (crash, time limit) is a failed result. */
export function startJobPool(size: number, init: RegistryInit): {
  scan(job: ScanJob): Promise<ScanJobResult>;
  eval(jobs: EvalJob[]): Promise<EvalJobResult[]>;
  close(): Promise<void>;
} {
  const pool = new ScanPool<RegistryJobs>({ size, timeoutMs: DEFAULT_JOB_TIMEOUT_MS, jobs: { module: jobModuleUrl(import.meta.url, './worker-jobs'), init } });
  return {
    scan: async (job) => {
      const r = await pool.run('registry-scan', job);
      return r.error ? failedScan(job, r.error) : r.value;
    },
    eval: async (jobs) => {
      const r = await pool.run('registry-eval', jobs);
      return r.error ? failedEvals(jobs, r.error) : r.value;
    },
    close: () => pool.close(),
  };
}
