// `eduscan serve [--port N] [--host H] [--db FILE] [--max-upload-bytes N] ...`: the reviewer service.
// `eduscan tokens create --role R --name N | list | revoke ID|NAME`: API tokens in the same database.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { isEduscanError } from '../errors.js';

// The registry's default and variable (registry-cmd.ts): serve and tokens use the same database. Kept literal so
// the CLI does not load better-sqlite3 until a command runs.
const dbOption = () => new Option('--db <file>', 'registry database (SQLite) shared with `eduscan registry`').default('eduscan.db').env('EDUSCAN_DB');

const EXIT_OK = 0;
const EXIT_INPUT = 2;

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be 0-65535');
  return n;
}

interface ServeCliOptions {
  port: number;
  host: string;
  db: string;
  maxUploadBytes?: number;
  queue?: number;
  workers?: number;
  scanTimeout?: number;
  tmpDir?: string;
}

export function registerServe(program: Command, io: { setExitCode: (code: number) => void }): Command {
  return program
    .command('serve')
    .description('run the review service: HTTP API (/api/v1) and web pages for uploading packages and reading verdicts')
    .addOption(new Option('--port <n>', 'TCP port (0 picks a free one)').argParser(port).default(8080).env('EDUSCAN_PORT'))
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .addOption(dbOption())
    .option('--max-upload-bytes <n>', 'largest package accepted (default 1 GiB)', positiveInt)
    .option('--queue <n>', 'uploads admitted at once (streaming + waiting + scanning); more get 503', positiveInt)
    .option('--workers <n>', 'scan worker threads', positiveInt)
    .option('--scan-timeout <seconds>', 'longest a single scan may take', positiveInt)
    .option('--tmp-dir <dir>', 'where uploads are streamed before the scan')
    .action(async (o: ServeCliOptions) => {
      const { buildServer } = await import('../server/app.js');
      try {
        const server = await buildServer({
          db: o.db,
          ...(o.maxUploadBytes ? { maxUploadBytes: o.maxUploadBytes } : {}),
          ...(o.queue ? { queueCapacity: o.queue } : {}),
          ...(o.workers ? { workers: o.workers } : {}),
          ...(o.scanTimeout ? { scanTimeoutMs: o.scanTimeout * 1000 } : {}),
          ...(o.tmpDir ? { tmpDir: o.tmpDir } : {}),
        });
        const address = await server.listen(o.port, o.host);
        process.stderr.write(`eduscan: serving on ${address}\n`);
        await new Promise<void>((resolve) => {
          const stop = (sig: string) => {
            process.stderr.write(`eduscan: ${sig}: finishing in-flight scans\n`);
            void server.close().then(resolve);
          };
          process.once('SIGINT', () => stop('SIGINT'));
          process.once('SIGTERM', () => stop('SIGTERM'));
        });
        io.setExitCode(EXIT_OK);
      } catch (e) {
        if (!isEduscanError(e)) throw e;
        process.stderr.write(`eduscan: ${e.message} [${e.code}]\n`);
        io.setExitCode(EXIT_INPUT);
      }
    });
}

export function registerTokens(program: Command, io: { setExitCode: (code: number) => void }): Command {
  const tokens = program.command('tokens').description('API tokens of the review service (stored hashed; shown once)');
  const withDb = async <T>(db: string, fn: (d: import('../registry/db.js').Db, m: typeof import('../server/tokens.js')) => T): Promise<T | undefined> => {
    const [{ openServerDb }, m] = await Promise.all([import('../server/db.js'), import('../server/tokens.js')]);
    try {
      const d = openServerDb(db);
      try {
        return fn(d, m);
      } finally {
        d.close();
      }
    } catch (e) {
      if (!isEduscanError(e)) throw e;
      process.stderr.write(`eduscan: ${e.message} [${e.code}]\n`);
      io.setExitCode(EXIT_INPUT);
      return undefined;
    }
  };
  tokens
    .command('create')
    .description('create a token and print it once')
    .addOption(new Option('--role <role>', 'what the token may do').choices(['provider', 'reviewer', 'admin']).makeOptionMandatory())
    .requiredOption('--name <name>', 'who holds it (shown as the uploader / suppressor)')
    .addOption(dbOption())
    .action(async (o: { role: 'provider' | 'reviewer' | 'admin'; name: string; db: string }) => {
      await withDb(o.db, (d, m) => {
        const t = m.createToken(d, o.role, o.name);
        process.stdout.write(`${t.token}\n`);
        process.stderr.write(`eduscan: token ${t.id} (${o.role}, ${o.name}) created; it is not shown again\n`);
      });
    });
  tokens
    .command('list')
    .description('list tokens (never the secrets)')
    .addOption(dbOption())
    .option('--json', 'JSON output', false)
    .action(async (o: { db: string; json: boolean }) => {
      await withDb(o.db, (d, m) => {
        const rows = m.listTokens(d);
        if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else for (const r of rows) process.stdout.write(`${r.id}\t${r.role}\t${r.name}\t${r.prefix}…\t${r.revokedAt ? `revoked ${r.revokedAt}` : 'active'}\t${r.lastUsedAt ?? '-'}\n`);
      });
    });
  tokens
    .command('revoke')
    .description('revoke a token by id or name (its sessions end too)')
    .argument('<token>', 'token id or name')
    .addOption(dbOption())
    .action(async (sel: string, o: { db: string }) => {
      await withDb(o.db, (d, m) => {
        const n = m.revokeToken(d, sel);
        process.stderr.write(`eduscan: ${n} token(s) revoked\n`);
        if (n === 0) io.setExitCode(EXIT_INPUT);
      });
    });
  return tokens;
}
