// `eduscan serve` as a process (built dist/, compiled worker): tokens from the CLI, 50 concurrent uploads of
// real packages, the server's own peak RSS (VmHWM from /proc), and a clean exit 0 on SIGTERM.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusFiles } from '../helpers/corpus.js';
import { filesIn, get, pkgPart, upload } from './helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const ENTRY = join(import.meta.dirname, 'cli-entry.mjs');
const SAMPLE = join(ROOT, 'samples/android/smartclass.apk');
const BUILT = existsSync(join(ROOT, 'dist/cli/serve-cmd.js')) && existsSync(join(ROOT, 'dist/pool/scan-worker.js'));
const MiB = 1024 * 1024;

describe.skipIf(!BUILT || process.platform !== 'linux')('eduscan serve process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eduscan-serve-proc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves 50 concurrent uploads with none lost, reports its peak RSS, exits 0 on SIGTERM', async () => {
    const db = join(dir, 'eduscan.db');
    const tmp = join(dir, 'uploads');
    const token = execFileSync(process.execPath, [ENTRY, 'tokens', 'create', '--role', 'provider', '--name', 'p', '--db', db], { encoding: 'utf8' }).trim();
    const child = spawn(process.execPath, [ENTRY, 'serve', '--port', '0', '--db', db, '--tmp-dir', tmp, '--queue', '8', '--workers', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const base = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    try {
      expect((await get(base, '/api/v1/health')).json().status).toBe('ok');
      const hwmOf = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024;
      const idle = hwmOf();
      // 256 MiB streamed through the server: its memory must not grow with the upload
      const big = join(dir, 'big.apk');
      const chunk = Buffer.alloc(MiB, 0x5a);
      writeFileSync(big, '');
      for (let i = 0; i < 256; i++) appendFileSync(big, chunk);
      const b0 = performance.now();
      const br = await upload(base, '/api/v1/scans', [pkgPart(big)], { token });
      const bms = performance.now() - b0;
      expect(br.status).toBe(422);
      expect(br.json().error.code).toBe('E_NOT_ZIP');
      rmSync(big);
      const afterBig = hwmOf();
      console.log(`[figures] serve process: idle peak RSS ${(idle / MiB).toFixed(0)} MiB; 256 MiB upload in ${bms.toFixed(0)} ms (${(256 / (bms / 1000)).toFixed(0)} MiB/s incl. scan refusal), peak RSS after it ${(afterBig / MiB).toFixed(0)} MiB`);
      expect(afterBig - idle).toBeLessThan(128 * MiB);
      const corpus = corpusFiles('apk').filter((f) => statSync(f).size < 4 * MiB).slice(0, 50);
      const files = Array.from({ length: 50 }, (_, i) => corpus[i] ?? SAMPLE);
      const t0 = performance.now();
      let retries = 0;
      const statuses = await Promise.all(files.map(async (f) => {
        for (;;) {
          const r = await upload(base, '/api/v1/scans', [pkgPart(f)], { token });
          if (r.status !== 503) return r.status;
          retries++;
          await new Promise((res) => setTimeout(res, 1000 * Number(r.headers['retry-after']) * Math.random()));
        }
      }));
      const ms = performance.now() - t0;
      expect(statuses.every((s) => s === 201 || s === 422)).toBe(true);
      const list = (await get(base, '/api/v1/scans?limit=200', { token })).json().scans;
      expect(list).toHaveLength(51); // the 50 and the big one
      const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024;
      console.log(`[figures] serve process: 50 concurrent uploads in ${ms.toFixed(0)} ms (${retries} 503s retried), server peak RSS (VmHWM) ${(hwm / MiB).toFixed(0)} MiB`);
      expect(hwm).toBeLessThan(768 * MiB);
      expect(filesIn(tmp)).toEqual([]);
    } finally {
      const code = await new Promise<number | null>((resolve) => {
        child.once('exit', (c) => resolve(c));
        child.kill('SIGTERM');
      });
      expect(code, stderr).toBe(0);
      expect(stderr).toContain('SIGTERM');
    }
  }, 180_000);
});
