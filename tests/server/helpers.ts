// A server on 127.0.0.1:0 with its own database and temp dir, tokens for each role, and a streaming multipart
// client (node:http) so uploads are real HTTP, sent chunk by chunk.
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildServer, type EduscanServer, type ServerOptions } from '../../src/server/app.js';
import { openServerDb } from '../../src/server/db.js';
import { createToken, type Role } from '../../src/server/tokens.js';

export interface TestServer {
  server: EduscanServer;
  base: string;
  port: number;
  dir: string;
  tmpDir: string;
  tokens: Record<Role, string> & { provider2: string };
  logs: string[];
  close(): Promise<void>;
}

export async function startServer(o: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'eduscan-server-test-'));
  const db = join(dir, 'eduscan.db');
  const tmpDir = join(dir, 'uploads');
  const d = openServerDb(db);
  const tokens = {
    provider: createToken(d, 'provider', 'provider-a').token,
    provider2: createToken(d, 'provider', 'provider-b').token,
    reviewer: createToken(d, 'reviewer', 'reviewer-r').token,
    admin: createToken(d, 'admin', 'admin-z').token,
  };
  d.close();
  const logs: string[] = [];
  const server = await buildServer({ db, tmpDir, workers: 2, logger: { level: 'info', stream: { write: (s: string) => void logs.push(s) } }, ...o });
  const base = await server.listen(0, '127.0.0.1');
  const port = Number(new URL(base).port);
  return {
    server, base, port, dir, tmpDir, tokens, logs,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Part {
  field: string;
  filename: string;
  path?: string;
  data?: Buffer;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Body bytes the client had written when the response began (uploads only). */
  sentAtResponse?: number;
  json(): any;
}

/** POST multipart/form-data, streaming file parts from disk. `abortAfter` destroys the socket after that many body bytes. */
export function upload(base: string, path: string, parts: Part[], opts: { token?: string; cookie?: string; abortAfter?: number; onSent?: (n: number) => void; pauseAfterHead?: Promise<void> } = {}): Promise<HttpResult> {
  const boundary = `----eduscan${randomBytes(8).toString('hex')}`;
  // A part without a filename is a text field.
  const heads = parts.map((p) => Buffer.from(p.filename
    ? `--${boundary}\r\nContent-Disposition: form-data; name="${p.field}"; filename="${p.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`
    : `--${boundary}\r\nContent-Disposition: form-data; name="${p.field}"\r\n\r\n`));
  const tail = Buffer.from(`--${boundary}--\r\n`);
  const sizes = parts.map((p) => (p.path ? statSync(p.path).size : p.data!.length));
  const length = heads.reduce((n, h, i) => n + h.length + sizes[i]! + 2, 0) + tail.length;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.cookie) headers.cookie = opts.cookie;
    let sent = 0;
    const req = request(new URL(path, base), { method: 'POST', headers }, (res) => {
      const sentAtResponse = sent;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, text, sentAtResponse, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    // A server that answers early (413) and closes may break the pipe before the client is done writing: the
    // response, when it arrives, wins over the write error.
    req.on('error', (e) => {
      if (opts.abortAfter !== undefined) return reject(e);
      setTimeout(() => reject(e), 500);
    });
    const write = (b: Buffer): boolean => {
      sent += b.length;
      opts.onSent?.(sent);
      if (opts.abortAfter !== undefined && sent >= opts.abortAfter) {
        req.destroy(new Error('client aborted (test)'));
        return false;
      }
      return req.write(b);
    };
    (async () => {
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        if (!write(heads[i]!) && req.destroyed) return;
        if (i === 0 && opts.pauseAfterHead) await opts.pauseAfterHead;
        if (p.path) {
          for await (const c of createReadStream(p.path, { highWaterMark: 64 * 1024 })) {
            if (req.destroyed) return;
            if (!write(c as Buffer)) {
              if (req.destroyed) return;
              await new Promise((r) => req.once('drain', r));
            }
          }
        } else write(p.data!);
        write(Buffer.from('\r\n'));
      }
      req.end(tail);
    })().catch((e) => {
      if (!req.destroyed) reject(e);
    });
  });
}

export function get(base: string, path: string, opts: { token?: string; cookie?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.cookie) headers.cookie = opts.cookie;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const req = request(new URL(path, base), { method: opts.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function pkgPart(path: string, field = 'package'): Part {
  return { field, filename: basename(path), path };
}
