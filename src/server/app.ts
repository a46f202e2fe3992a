// The reviewer service (`eduscan serve`): fastify 5, JSON API under /api/v1 and server-rendered pages.
// Uploads stream to a temp file (hashes and size cap on the way), scans run in the shared scan pool
// behind a bounded queue, results are stored in server_* tables of the registry database.
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isEduscanError } from '../errors.js';
import { MAX_RECORD_BYTES } from '../filing/load.js';
import { ScanPool } from '../pool/scan-pool.js';
import type { Db } from '../registry/db.js';
import { loadRuleSet } from '../rules/load.js';
import type { RuleSet } from '../rules/types.js';
import { ApiError } from './api-error.js';
import { principalFrom, refuse, requireRole } from './auth.js';
import { openServerDb } from './db.js';
import { QueueFullError, ScanQueue } from './queue.js';
import { registerReportRoutes } from './report-routes.js';
import { failScan, finishScan, insertScan, markInterrupted, runCheckFor } from './scans.js';
import type { Principal } from './tokens.js';
import { streamToTemp, UploadTooLargeError, type StoredUpload } from './upload.js';
import { registerWeb } from './web.js';

export const DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  maxUploadBytes: 1024 * 1024 * 1024,
  queueCapacity: 16,
  workers: 2,
  scanTimeoutMs: 5 * 60_000,
  /** Whole request (upload included): a 1 GiB upload at ~2 MB/s still fits. */
  requestTimeoutMs: 10 * 60_000,
  retryAfterSeconds: 5,
  shutdownGraceMs: 30_000,
} as const;

export interface ServerOptions {
  db: string;
  tmpDir?: string;
  maxUploadBytes?: number;
  queueCapacity?: number;
  workers?: number;
  scanTimeoutMs?: number;
  requestTimeoutMs?: number;
  retryAfterSeconds?: number;
  shutdownGraceMs?: number;
  /** pino options; false for none. */
  logger?: boolean | { level?: string; stream?: { write(s: string): void } };
}

export interface ServerContext {
  db: Db;
  ruleSet: RuleSet;
  queue: ScanQueue;
  opts: Required<Omit<ServerOptions, 'logger' | 'tmpDir'>> & { tmpDir: string };
  /** Runs one upload from a multipart request to a stored scan; shared by the API and the page's XHR. */
  upload(req: FastifyRequest, who: Principal): Promise<{ id: number; status: number; body: unknown }>;
}

export interface EduscanServer {
  app: FastifyInstance;
  ctx: ServerContext;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

async function readSmall(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) {
      stream.resume();
      throw new ApiError(413, 'E_TOO_LARGE', `record is larger than ${max} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

export async function buildServer(o: ServerOptions): Promise<EduscanServer> {
  const opts: ServerContext['opts'] = {
    db: o.db,
    tmpDir: o.tmpDir ?? join(tmpdir(), `eduscan-uploads-${process.pid}`),
    maxUploadBytes: o.maxUploadBytes ?? DEFAULTS.maxUploadBytes,
    queueCapacity: o.queueCapacity ?? DEFAULTS.queueCapacity,
    workers: o.workers ?? DEFAULTS.workers,
    scanTimeoutMs: o.scanTimeoutMs ?? DEFAULTS.scanTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    retryAfterSeconds: o.retryAfterSeconds ?? DEFAULTS.retryAfterSeconds,
    shutdownGraceMs: o.shutdownGraceMs ?? DEFAULTS.shutdownGraceMs,
  };
  mkdirSync(opts.tmpDir, { recursive: true });
  const db = openServerDb(opts.db);
  // A previous server that died mid-scan left rows 'running': record them as interrupted.
  markInterrupted(db, 'the server stopped before the scan finished');
  const ruleSet = loadRuleSet();
  // Admission (ScanQueue) already bounds what reaches the pool; its own bound is the same, as a backstop.
  const pool = new ScanPool({ size: opts.workers, maxQueued: opts.queueCapacity });
  const queue = new ScanQueue(opts.queueCapacity, opts.workers);
  let closing = false;

  const app = Fastify({
    logger: o.logger === undefined ? true : o.logger,
    requestTimeout: opts.requestTimeoutMs,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  await app.register(multipart, { limits: { fileSize: opts.maxUploadBytes + 1, files: 2, fields: 8, parts: 10, fieldSize: 1024 } });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (err instanceof ApiError) return sendError(reply, err.status, err.code, err.message, opts.retryAfterSeconds);
    if (isEduscanError(err)) return sendError(reply, 422, err.code, err.message);
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return sendError(reply, e.statusCode, e.statusCode === 413 ? 'E_TOO_LARGE' : 'E_BAD_REQUEST', e.message ?? 'bad request');
    }
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, 500, 'E_INTERNAL', 'internal error (logged)');
  });

  // Requests in flight, so shutdown can wait for them (and their scans) and then drop idle or stalled sockets.
  const inFlight = new Set<FastifyRequest>();
  const settled: (() => void)[] = [];
  const finished = (req: FastifyRequest) => {
    // onResponse and onRequestAbort may both fire for one request: count it once.
    if (!inFlight.delete(req)) return;
    if (inFlight.size === 0) for (const f of settled.splice(0)) f();
  };
  app.addHook('onRequest', async (req) => {
    inFlight.add(req);
    req.principal = principalFrom(db, req);
  });
  app.addHook('onResponse', async (req) => finished(req));
  app.addHook('onRequestAbort', async (req) => finished(req));

  async function upload(req: FastifyRequest, who: Principal): Promise<{ id: number; status: number; body: unknown }> {
    if (closing) throw new ApiError(503, 'E_SHUTTING_DOWN', 'the server is shutting down');
    if (!req.isMultipart()) throw new ApiError(400, 'E_BAD_REQUEST', 'expected multipart/form-data with a `package` file');
    let release: () => void;
    try {
      release = queue.admit();
    } catch (e) {
      lingerAndDiscard(req);
      if (e instanceof QueueFullError) throw new ApiError(503, 'E_QUEUE_FULL', `the scan queue is full (${opts.queueCapacity}); retry after ${opts.retryAfterSeconds} s`);
      throw e;
    }
    // The client going away aborts the copy, which removes the partial file.
    const abort = new AbortController();
    const onAborted = () => abort.abort(new ApiError(400, 'E_BAD_REQUEST', 'the client closed the connection during the upload'));
    req.raw.once('aborted', onAborted);
    let pkg: (StoredUpload & { filename: string }) | undefined;
    try {
      let record: { name: string; text: string } | undefined;
      let registryRecord: string | undefined;
      for await (const part of req.parts()) {
        if (part.type !== 'file') {
          if (part.fieldname === 'registryRecord') registryRecord = String(part.value);
          continue;
        }
        if (part.fieldname === 'package' && !pkg) {
          const ext = extname(part.filename).toLowerCase() === '.ipa' ? '.ipa' : '.apk';
          try {
            pkg = { ...(await streamToTemp(part.file, opts.tmpDir, ext, opts.maxUploadBytes, abort.signal)), filename: part.filename || `package${ext}` };
          } catch (e) {
            if (e instanceof UploadTooLargeError || (e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
              throw new ApiError(413, 'E_TOO_LARGE', `package is larger than ${opts.maxUploadBytes} bytes`);
            }
            if (abort.signal.aborted) throw abort.signal.reason;
            throw e;
          }
        } else if (part.fieldname === 'record' && !record) {
          const bytes = await readSmall(part.file, MAX_RECORD_BYTES);
          record = { name: part.filename || 'record.yaml', text: new TextDecoder('utf-8', { fatal: false }).decode(bytes) };
        } else {
          part.file.resume();
          throw new ApiError(400, 'E_BAD_REQUEST', `unexpected file field \`${part.fieldname}\` (expected package and optional record)`);
        }
      }
      if (!pkg) throw new ApiError(400, 'E_BAD_REQUEST', 'no `package` file in the form');
      if (registryRecord !== undefined) {
        if (record) throw new ApiError(400, 'E_BAD_REQUEST', 'send either a `record` file or `registryRecord`, not both');
        if (who.role === 'provider') refuse(req, 403, 'provider asked for a registry record');
        record = registryRecordText(db, registryRecord, who);
      }
      const id = insertScan(db, { principal: who, filename: pkg.filename, size: pkg.size, md5: pkg.md5, sha256: pkg.sha256, ...(record ? { record } : {}) });
      const path = pkg.path;
      try {
        const job = await queue.run(() => pool.scan(path, undefined, { timeoutMs: opts.scanTimeoutMs }));
        if (job.error) {
          const err = job.error;
          // Cut by the shutdown: answered 503 and recorded as interrupted, like a scan a dead server left running.
          if (err.code === 'E_CANCELLED') throw new ApiError(503, 'E_SHUTTING_DOWN', 'the server shut down before the scan finished');
          throw new ApiError(err.code === 'E_INTERNAL' ? 500 : err.code === 'E_QUEUE_FULL' ? 503 : 422, err.code, err.message);
        }
        const facts = job.value;
        // The worker hashed the file again; a mismatch would mean the temp file changed under us.
        if (facts.file.sha256 !== pkg.sha256) throw new ApiError(500, 'E_INTERNAL', 'the stored upload changed before it was scanned');
        const result = runCheckFor(facts, ruleSet, record, []);
        finishScan(db, id, facts, result);
        return { id, status: 201, body: { id, status: 'done', links: links(id), result } };
      } catch (e) {
        const code = e instanceof ApiError || isEduscanError(e) ? e.code : 'E_INTERNAL';
        if (code === 'E_SHUTTING_DOWN') failScan(db, id, 'E_INTERRUPTED', (e as Error).message, 'interrupted');
        else failScan(db, id, code, (e as Error).message);
        if (e instanceof ApiError || isEduscanError(e)) throw e;
        req.log.error({ err: e, scan: id }, 'scan failed');
        throw new ApiError(500, 'E_INTERNAL', 'the scan failed (logged)');
      }
    } finally {
      lingerAndDiscard(req);
      req.raw.off('aborted', onAborted);
      if (pkg) rmSync(pkg.path, { force: true });
      release();
    }
  }

  const ctx: ServerContext = { db, ruleSet, queue, opts, upload };

  app.get('/api/v1/health', async () => ({ status: closing ? 'closing' : 'ok', queue: queue.size, capacity: opts.queueCapacity }));

  app.post('/api/v1/scans', { preHandler: requireRole('provider', 'reviewer', 'admin') }, async (req, reply) => {
    const r = await upload(req, req.principal!);
    return reply.code(r.status).header('location', `/api/v1/scans/${r.id}`).send(r.body);
  });

  registerReportRoutes(app, ctx);
  registerWeb(app, ctx);

  let closed: Promise<void> | undefined;
  return {
    app,
    ctx,
    async listen(port: number, host: string = DEFAULTS.host) {
      return app.listen({ port, host });
    },
    close() {
      closed ??= (async () => {
        closing = true;
        // In-flight requests (and so their scans) finish within the grace period; what is still running after
        // it is recorded as interrupted.
        let timer: NodeJS.Timeout | undefined;
        const closingApp = app.close();
        const idle = inFlight.size === 0 ? Promise.resolve() : new Promise<void>((r) => settled.push(r));
        await Promise.race([idle, new Promise<void>((r) => { timer = setTimeout(r, opts.shutdownGraceMs); })]);
        clearTimeout(timer);
        // Keep-alive sockets and clients that stopped mid-body would hold server.close() open: cut them now.
        app.server.closeAllConnections();
        await closingApp;
        markInterrupted(db, 'the server shut down before the scan finished');
        // Requests still running after the grace period were cut above: their scans are cancelled.
        await pool.close({ graceMs: 0 });
        db.close();
        // The default upload folder is this process's own: nothing in it outlives the server.
        if (o.tmpDir === undefined) rmSync(opts.tmpDir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

/**
 * A filing record already imported into the registry (`eduscan registry import`), by id or path. Records are the
 * reviewers' material: a provider may not check against them (it sends its own record file instead).
 */
function registryRecordText(db: Db, selector: string, who: Principal): { name: string; text: string } {
  if (who.role === 'provider') throw new ApiError(403, 'E_FORBIDDEN', 'providers send their record as a `record` file; registry records are for reviewers');
  const row = (/^\d+$/.test(selector)
    ? db.prepare('SELECT path, text FROM records WHERE id = ?').get(Number(selector))
    : db.prepare('SELECT path, text FROM records WHERE path = ?').get(selector)) as { path: string; text: string } | undefined;
  if (!row) throw new ApiError(404, 'E_NOT_FOUND', `no record ${selector} in the registry`);
  return { name: row.path, text: row.text };
}

/** How long a refused upload's remaining body is read and thrown away so the client gets to read the answer. */
const LINGER_MS = 3000;

/**
 * A request refused before its body was read (413, 503, 400): the rest is discarded instead of buffered, and
 * the socket is cut after LINGER_MS if the client is still sending. Closing at once would reset the
 * connection under a client that is still writing, and it would never see the 413 (what nginx calls lingering close).
 */
function lingerAndDiscard(req: FastifyRequest): void {
  const raw = req.raw;
  if (raw.complete || raw.destroyed) return;
  raw.unpipe();
  raw.resume();
  const timer = setTimeout(() => raw.socket?.destroy(), LINGER_MS);
  timer.unref();
  raw.once('end', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
}

export function links(id: number): Record<string, string> {
  return { self: `/api/v1/scans/${id}`, report: `/api/v1/scans/${id}/report`, page: `/scans/${id}` };
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string, retryAfterSeconds: number = DEFAULTS.retryAfterSeconds): FastifyReply {
  if (status === 503) reply.header('retry-after', String(retryAfterSeconds));
  return reply.code(status).send({ error: { code, message } });
}
