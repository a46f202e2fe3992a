// The re-scan's checkpoint thread: it copies what the WAL holds into the database file while another connection
// writes with SQLite's automatic checkpoints off, and says so when it cannot start.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../src/registry/checkpointer.js';
import { tempDir } from './helpers.js';

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('startCheckpointer', () => {
  it('moves committed pages from the WAL into the database file while the writer goes on', async () => {
    const path = join(tempDir('ckpt'), 'r.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (v TEXT)');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const ins = db.prepare('INSERT INTO t VALUES (?)');
    // ~2 MB in one-row transactions, as a re-scan commits: with automatic checkpoints off it all stays in the WAL.
    for (let i = 0; i < 2000; i++) ins.run('x'.repeat(1000));
    const before = statSync(path).size;
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(2_000_000);
    const failures: Error[] = [];
    const c = startCheckpointer(path, (e) => failures.push(e), 20);
    await until(() => statSync(path).size > before + 1_500_000);
    for (let i = 0; i < 100; i++) ins.run('y'.repeat(1000)); // the writer is not blocked meanwhile
    await c.stop();
    expect(failures).toEqual([]);
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(2100);
    db.close();
  });

  it('reports a database it cannot open, so that the writer checkpoints again itself', async () => {
    const failures: Error[] = [];
    const c = startCheckpointer(join(tempDir('ckpt-missing'), 'none.db'), (e) => failures.push(e), 20);
    await until(() => failures.length > 0);
    expect(failures[0]!.message).toMatch(/unable to open|SQLITE_CANTOPEN|does not exist|directory does not exist/i);
    await c.stop();
  });
});
