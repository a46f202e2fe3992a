// Read side of the API: one scan, its report in every format of the check, the list, reviewers' suppressions,
// and the admin's token listing.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CheckResult } from '../check/types.js';
import type { Lang } from '../report/facts-text.js';
import { ApiError } from './api-error.js';
import type { ServerContext } from './app.js';
import { requireRole } from './auth.js';
import { addSuppression, getScan, listScans, recheck, scanResult, type ScanRow } from './scans.js';
import { listTokens } from './tokens.js';

export const REPORT_FORMATS = ['json', 'sarif', 'html', 'text'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
const CONTENT_TYPE: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  sarif: 'application/sarif+json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  text: 'text/plain; charset=utf-8',
};
const LIST_MAX = 200;

const IdParams = z.object({ id: z.coerce.number().int().positive() });
const ReportQuery = z.object({ format: z.enum(REPORT_FORMATS).default('json'), lang: z.enum(['zh', 'en']).default('zh') });
const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(LIST_MAX).default(50), before: z.coerce.number().int().positive().optional() });
export const SuppressionBody = z.strictObject({
  rule: z.string().min(1).max(100),
  reason: z.string().trim().min(1).max(2000),
  until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'yyyy-mm-dd').optional(),
});

function parse<T>(schema: z.ZodType<T>, v: unknown, what: string): T {
  const r = schema.safeParse(v);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ApiError(400, 'E_BAD_REQUEST', `${what}: ${i ? `${i.path.join('.') || '.'}: ${i.message}` : 'invalid'}`);
  }
  return r.data;
}

export function scanSummary(s: ScanRow): Record<string, unknown> {
  return {
    id: s.id, status: s.status, verdict: s.verdict, owner: s.owner, filename: s.filename, size: s.size, md5: s.md5, sha256: s.sha256,
    packageId: s.appPackage, versionName: s.versionName, record: s.recordName,
    error: s.errorCode ? { code: s.errorCode, message: s.errorMessage } : null,
    createdAt: s.createdAt, finishedAt: s.finishedAt,
    links: { self: `/api/v1/scans/${s.id}`, report: `/api/v1/scans/${s.id}/report`, page: `/scans/${s.id}` },
  };
}

export async function renderReport(r: CheckResult, format: ReportFormat, lang: Lang): Promise<string> {
  if (format === 'json') return (await import('../report/check-json.js')).renderCheckJson(r);
  if (format === 'sarif') return (await import('../report/sarif.js')).renderSarif(r, lang);
  if (format === 'html') return (await import('../report/html.js')).renderHtml(r, lang);
  return (await import('../report/check-text.js')).renderCheckText(r, lang);
}

export function registerReportRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const anyRole = { preHandler: requireRole('provider', 'reviewer', 'admin') };
  const { db } = ctx;
  const find = (id: number, req: { principal?: import('./tokens.js').Principal }) => {
    const s = getScan(db, id, req.principal!);
    if (!s) throw new ApiError(404, 'E_NOT_FOUND', `no scan ${id}`);
    return s;
  };

  app.get('/api/v1/scans', anyRole, async (req) => {
    const q = parse(ListQuery, req.query, 'query');
    const rows = listScans(db, req.principal!, { limit: q.limit, ...(q.before ? { before: q.before } : {}) });
    const last = rows[rows.length - 1];
    return { scans: rows.map(scanSummary), next: rows.length === q.limit && last ? `/api/v1/scans?limit=${q.limit}&before=${last.id}` : null };
  });

  app.get('/api/v1/scans/:id', anyRole, async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    const s = find(id, req);
    return { ...scanSummary(s), result: scanResult(db, id) ?? null };
  });

  app.get('/api/v1/scans/:id/report', anyRole, async (req, reply) => {
    const { id } = parse(IdParams, req.params, 'path');
    const q = parse(ReportQuery, req.query, 'query');
    const s = find(id, req);
    const r = scanResult(db, id);
    if (!r) throw new ApiError(409, s.errorCode ?? 'E_NOT_FOUND', `scan ${id} has no result (${s.status}${s.errorMessage ? `: ${s.errorMessage}` : ''})`);
    return reply.type(CONTENT_TYPE[q.format]).send(await renderReport(r, q.format, q.lang));
  });

  app.post('/api/v1/scans/:id/suppressions', { preHandler: requireRole('reviewer', 'admin') }, async (req, reply) => {
    const { id } = parse(IdParams, req.params, 'path');
    const body = parse(SuppressionBody, req.body, 'body');
    const r = suppress(ctx, id, req.principal!, body);
    return reply.code(201).send({ id, result: r });
  });

  app.get('/api/v1/tokens', { preHandler: requireRole('admin') }, async () => ({ tokens: listTokens(db) }));
}

/** Stores a reviewer's suppression and re-renders the scan with it. */
export function suppress(ctx: ServerContext, id: number, who: import('./tokens.js').Principal, body: z.infer<typeof SuppressionBody>): CheckResult {
  const s = getScan(ctx.db, id, who);
  if (!s) throw new ApiError(404, 'E_NOT_FOUND', `no scan ${id}`);
  const current = scanResult(ctx.db, id);
  if (!current) throw new ApiError(409, 'E_NOT_FOUND', `scan ${id} has no result to annotate (${s.status})`);
  if (!current.findings.some((f) => f.rule === body.rule)) throw new ApiError(400, 'E_BAD_REQUEST', `scan ${id} has no finding of rule ${body.rule}`);
  addSuppression(ctx.db, id, { rule: body.rule, reason: body.reason, by: who.name, ...(body.until ? { until: body.until } : {}) });
  const r = recheck(ctx.db, id, ctx.ruleSet);
  if (!r) throw new ApiError(409, 'E_NOT_FOUND', `scan ${id} has no stored facts`);
  return r;
}
