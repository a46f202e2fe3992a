// Worker thread of the service's scan pool: one package path in, its facts (or a typed error) out.
import { parentPort } from 'node:worker_threads';
import { isEduscanError } from '../errors.js';
import { scanPackage } from '../scan.js';

parentPort!.on('message', (msg: { id: number; path: string }) => {
  scanPackage(msg.path).then(
    (facts) => parentPort!.postMessage({ id: msg.id, facts }),
    (e: unknown) => {
      const error = isEduscanError(e)
        ? { code: e.code, message: e.message }
        : { code: 'E_INTERNAL', message: ((e as Error)?.stack ?? String(e)).split('\n').slice(0, 3).join(' | ') };
      parentPort!.postMessage({ id: msg.id, error });
    },
  );
});
