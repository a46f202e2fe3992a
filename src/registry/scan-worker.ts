// Worker thread of the re-scan pool: runs scan jobs one at a time. It opens the registry read-only only to ask
// whether facts for a content hash are already stored.
import { parentPort, workerData } from 'node:worker_threads';
import { closeHashPool } from '../hash/hash.js';
import { PARSER_VERSION } from '../scan.js';
import { openRegistry } from './db.js';
import { runScanJob, type ScanJob } from './job.js';

interface WorkerInit {
  dbPath?: string;
}

const init = workerData as WorkerInit;
const db = init.dbPath ? openRegistry(init.dbPath, { readonly: true }) : undefined;
const has = db?.prepare<[string, string], { x: number }>('SELECT 1 AS x FROM facts WHERE sha256 = ? AND parser_version = ?');

parentPort!.on('message', (msg: { id: number; job: ScanJob } | { close: true }) => {
  if ('close' in msg) {
    db?.close();
    void closeHashPool().then(() => parentPort!.close());
    return;
  }
  void runScanJob(msg.job, (sha) => has?.get(sha, PARSER_VERSION) !== undefined).then((result) => {
    parentPort!.postMessage({ id: msg.id, result });
  });
});
