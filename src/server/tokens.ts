// API tokens: 32 random bytes shown once; only their SHA-256 is stored, so a copy of the database grants nothing.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../registry/db.js';

export const ROLES = ['provider', 'reviewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const TOKEN_BYTES = 32;
const TOKEN_PREFIX = 'edu_';
/** Characters of the token kept in clear for listings (prefix + 6 of the random part). */
const SHOWN_CHARS = TOKEN_PREFIX.length + 6;

export interface TokenRow {
  id: number;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface Principal {
  tokenId: number;
  name: string;
  role: Role;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newSecret(): string {
  return TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

export function createToken(db: Db, role: Role, name: string): { id: number; token: string } {
  const token = newSecret();
  const r = db.prepare('INSERT INTO server_tokens (name, role, hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(name, role, hashSecret(token), token.slice(0, SHOWN_CHARS), new Date().toISOString());
  return { id: Number(r.lastInsertRowid), token };
}

export function listTokens(db: Db): TokenRow[] {
  return db.prepare(`SELECT id, name, role, prefix, created_at AS createdAt, revoked_at AS revokedAt, last_used_at AS lastUsedAt
    FROM server_tokens ORDER BY id`).all() as TokenRow[];
}

/** Revokes by id or by name; returns how many tokens it revoked (sessions of those tokens end too). */
export function revokeToken(db: Db, selector: string): number {
  const byId = /^\d+$/.test(selector);
  return db.transaction(() => {
    const ids = (db.prepare(`SELECT id FROM server_tokens WHERE revoked_at IS NULL AND ${byId ? 'id = ?' : 'name = ?'}`)
      .all(byId ? Number(selector) : selector) as { id: number }[]).map((r) => r.id);
    for (const id of ids) {
      db.prepare('UPDATE server_tokens SET revoked_at = ? WHERE id = ?').run(new Date().toISOString(), id);
      db.prepare('DELETE FROM server_sessions WHERE token_id = ?').run(id);
    }
    return ids.length;
  })();
}

export function principalForToken(db: Db, token: string): Principal | undefined {
  const row = db.prepare('SELECT id, name, role FROM server_tokens WHERE hash = ? AND revoked_at IS NULL').get(hashSecret(token)) as
    { id: number; name: string; role: Role } | undefined;
  if (!row) return undefined;
  db.prepare('UPDATE server_tokens SET last_used_at = ? WHERE id = ?').run(new Date().toISOString(), row.id);
  return { tokenId: row.id, name: row.name, role: row.role };
}

export const SESSION_HOURS = 12;

export function createSession(db: Db, tokenId: number): string {
  const sid = randomBytes(TOKEN_BYTES).toString('base64url');
  const now = new Date();
  // Expired sessions are swept at each login: they grant nothing, but the table should not grow forever.
  db.prepare('DELETE FROM server_sessions WHERE expires_at <= ?').run(now.toISOString());
  db.prepare('INSERT INTO server_sessions (hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
    .run(hashSecret(sid), tokenId, now.toISOString(), new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString());
  return sid;
}

export function principalForSession(db: Db, sid: string): Principal | undefined {
  const row = db.prepare(`SELECT t.id, t.name, t.role FROM server_sessions s JOIN server_tokens t ON t.id = s.token_id
    WHERE s.hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL`).get(hashSecret(sid), new Date().toISOString()) as
    { id: number; name: string; role: Role } | undefined;
  return row ? { tokenId: row.id, name: row.name, role: row.role } : undefined;
}

export function endSession(db: Db, sid: string): void {
  db.prepare('DELETE FROM server_sessions WHERE hash = ?').run(hashSecret(sid));
}
