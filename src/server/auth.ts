// Who is asking: `Authorization: Bearer <token>` (API clients) or the session cookie the login form sets
// (the web page). Every refusal is logged with the route and the reason, never with the secret.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../registry/db.js';
import { ApiError } from './api-error.js';
import { principalForSession, principalForToken, type Principal, type Role } from './tokens.js';

export const SESSION_COOKIE = 'eduscan_session';
export const LANG_COOKIE = 'eduscan_lang';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}

/** Methods that change nothing; every other one is state-changing and gets the cross-site check. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request that rides on the session cookie came from another site. SameSite=Strict already keeps
 * the cookie off cross-site requests in current browsers; this is the second lock (OWASP: verify the origin
 * with standard headers) for older browsers and same-site subdomains. Fetch Metadata first, then Origin
 * against Host; a request with neither header (curl, old clients) is not a browser's cross-site request.
 */
export function crossSite(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return false;
  if (origin === 'null') return true;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

export function principalFrom(db: Db, req: FastifyRequest): Principal | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m ? principalForToken(db, m[1]!) : undefined;
  }
  const sid = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (!sid) return undefined;
  // A bearer token cannot be forged by another site; a cookie can be sent by one, so it counts only same-site.
  if (!SAFE_METHODS.has(req.method) && crossSite(req)) {
    req.log.warn({ refused: 'cross-site', route: req.url, method: req.method, origin: req.headers.origin, fetchSite: req.headers['sec-fetch-site'] }, 'session cookie ignored on a cross-site request');
    return undefined;
  }
  return principalForSession(db, sid);
}

export function refuse(req: FastifyRequest, status: 401 | 403, reason: string): void {
  req.log.warn({ refused: status, route: req.routeOptions.url, method: req.method, who: req.principal?.name, role: req.principal?.role, reason }, 'request refused');
}

/** preHandler: the request must carry a principal with one of `roles` (401 without one, 403 with another role). */
export function requireRole(...roles: Role[]) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const who = req.principal;
    if (!who) {
      refuse(req, 401, req.headers.authorization ? 'unknown or revoked token' : 'no token');
      throw new ApiError(401, 'E_AUTH', 'a valid API token is required (Authorization: Bearer <token>)');
    }
    if (!roles.includes(who.role)) {
      refuse(req, 403, `role ${who.role} not in ${roles.join('/')}`);
      throw new ApiError(403, 'E_FORBIDDEN', `role ${who.role} may not do this (needs ${roles.join(' or ')})`);
    }
  };
}
