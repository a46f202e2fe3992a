// `eduscan registry import|list|show|export` and `eduscan rescan`: the provincial registry of filed apps and
// their packages (SQLite, --db), re-checked in bulk with a remediation clock. Modules load only when a command
// runs, so other commands do not pay for SQLite.
import { availableParallelism } from 'node:os';
import { createWriteStream, writeFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { EduscanError, isEduscanError } from '../errors.js';
import type { IssueState } from '../registry/lifecycle.js';
import type { Lang } from '../registry/render.js';

const EXIT_INPUT = 2;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const stdio: Io = { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s) };

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function isoDate(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new InvalidArgumentError('expected yyyy-mm-dd');
  return v;
}

const dbOption = () => new Option('--db <file>', 'registry database (SQLite)').default('eduscan.db').env('EDUSCAN_DB');
const langOption = () => new Option('--lang <lang>', 'language of text output').choices(['zh', 'en']).default('zh').env('EDUSCAN_LANG');
const todayOption = () => new Option('--today <yyyy-mm-dd>', 'the date deadlines are counted on (default: today in China)').argParser(isoDate);

async function today(o: { today?: string }): Promise<string> {
  if (o.today) return o.today;
  return (await import('../calendar/dates.js')).chinaToday();
}

/** Runs a command body; an EduscanError is one line on stderr and exit 2. */
async function guarded(setExitCode: (c: number) => void, io: Io, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (!isEduscanError(e)) throw e;
    io.err(`eduscan: ${e.file ? `${e.file}: ` : ''}${e.message} [${e.code}]\n`);
    setExitCode(EXIT_INPUT);
  }
}

function write(output: string | undefined, text: string, io: Io): void {
  if (output && output !== '-') writeFileSync(output, text);
  else io.out(text);
}

export interface RegistryCliDeps {
  setExitCode: (code: number) => void;
  io?: Io;
}

export function registerRegistry(program: Command, deps: RegistryCliDeps): void {
  const io = deps.io ?? stdio;
  const { setExitCode } = deps;
  const registry = program.command('registry').description('the registry of filing records and packages (SQLite): import, list, show, export');

  registry
    .command('import')
    .description('import a folder of records + packages, or a manifest (.csv with record,package,app / .jsonl); re-import updates')
    .argument('<path>', 'folder or manifest file')
    .addOption(dbOption())
    .option('--prune', 'remove entries whose package is not in this import', false)
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (path: string, o: { db: string; prune: boolean; format: 'text' | 'json' }) => guarded(setExitCode, io, async () => {
      const [{ openRegistry }, { importPath }] = await Promise.all([import('../registry/db.js'), import('../registry/import.js')]);
      const db = openRegistry(o.db);
      try {
        const r = importPath(db, path, { prune: o.prune });
        if (o.format === 'json') io.out(`${JSON.stringify(r, null, 2)}\n`);
        else {
          io.out(`records: ${r.records.added} added, ${r.records.updated} updated, ${r.records.unchanged} unchanged${r.records.withProblems ? `, ${r.records.withProblems} with problems` : ''}\n`);
          io.out(`packages: ${r.packages.added} added, ${r.packages.updated} updated, ${r.packages.unchanged} unchanged${r.withoutRecord ? `, ${r.withoutRecord} without a record` : ''}${r.pruned ? `, ${r.pruned} pruned` : ''}\n`);
        }
        for (const x of r.rejected) io.err(`eduscan: warning: ${x.origin}: ${x.reason}\n`);
      } finally {
        db.close();
      }
    }));

  registry
    .command('list')
    .description('entries with their last verdict; --issues: issues by remediation state; --blacklist: providers past a deadline')
    .addOption(dbOption())
    .option('--issues', 'list issues instead of entries', false)
    .addOption(new Option('--state <states...>', 'issue states to list').choices(['open', 'due-soon', 'overdue', 'suppressed', 'resolved']))
    .option('--blacklist', 'providers with issues past their deadline (blacklist candidates)', false)
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'csv']).default('text'))
    .addOption(todayOption())
    .addOption(langOption())
    .action(async (o: { db: string; issues: boolean; state?: IssueState[]; blacklist: boolean; format: 'text' | 'json' | 'csv'; today?: string; lang: Lang }) => guarded(setExitCode, io, async () => {
      const [{ openRegistry }, q, render, { loadCalendar }] = await Promise.all([
        import('../registry/db.js'), import('../registry/queries.js'), import('../registry/render.js'), import('../calendar/calendar.js'),
      ]);
      const day = await today(o);
      const db = openRegistry(o.db, { readonly: true });
      try {
        const calendar = loadCalendar();
        if (o.blacklist) {
          const rows = q.blacklistCandidates(db, day);
          if (o.format === 'json') io.out(`${JSON.stringify(rows, null, 2)}\n`);
          else if (o.format === 'csv') io.out(render.csvLine(['unit', 'record', 'overdueIssues', 'packages', 'oldestDeadline']) + rows.map((b) => render.csvLine([b.unit, b.record, b.overdueIssues, b.packages, b.oldestDeadline])).join(''));
          else io.out(render.renderBlacklistText(rows, o.lang));
          return;
        }
        if (o.issues || o.state) {
          const rows = q.listIssues(db, { today: day, calendar, ...(o.state ? { states: o.state } : {}) });
          if (o.format === 'json') io.out(`${JSON.stringify(rows, null, 2)}\n`);
          else if (o.format === 'csv') io.out(render.csvLine(render.ISSUE_COLUMNS) + rows.map(render.issueCsv).join(''));
          else io.out(render.renderIssuesText(rows, o.lang));
          return;
        }
        if (o.format === 'json') io.out(`${JSON.stringify({ summary: q.summary(db, { today: day, calendar }), entries: [...q.iterEntries(db, day)] }, null, 2)}\n`);
        else if (o.format === 'csv') {
          io.out(render.csvLine(render.ENTRY_COLUMNS));
          for (const e of q.iterEntries(db, day)) io.out(render.entryCsv(e));
        } else io.out(`${render.renderSummaryText(q.summary(db, { today: day, calendar }), o.lang)}\n${render.renderEntriesText(q.iterEntries(db, day), o.lang)}`);
      } finally {
        db.close();
      }
    }));

  registry
    .command('show')
    .description('one entry: record, version history, scans, issues with deadlines')
    .argument('<entry>', 'entry id, package path (or its tail), package id or app name')
    .addOption(dbOption())
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(todayOption())
    .addOption(langOption())
    .action(async (sel: string, o: { db: string; format: 'text' | 'json'; today?: string; lang: Lang }) => guarded(setExitCode, io, async () => {
      const [{ openRegistry }, q, render, { loadCalendar }] = await Promise.all([
        import('../registry/db.js'), import('../registry/queries.js'), import('../registry/render.js'), import('../calendar/calendar.js'),
      ]);
      const day = await today(o);
      const db = openRegistry(o.db, { readonly: true });
      try {
        const d = q.showEntry(db, q.findEntry(db, sel), { today: day, calendar: loadCalendar() });
        io.out(o.format === 'json' ? `${JSON.stringify(d, null, 2)}\n` : render.renderDetailText(d, o.lang));
      } finally {
        db.close();
      }
    }));

  registry
    .command('export')
    .description('the whole registry as CSV (entries, or --issues), JSON, or an HTML summary')
    .addOption(dbOption())
    .addOption(new Option('-f, --format <format>', 'output format').choices(['csv', 'json', 'html']).default('csv'))
    .option('--issues', 'CSV of issues instead of entries', false)
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addOption(todayOption())
    .addOption(langOption())
    .action(async (o: { db: string; format: 'csv' | 'json' | 'html'; issues: boolean; output?: string; today?: string; lang: Lang }) => guarded(setExitCode, io, async () => {
      const [{ openRegistry }, q, render, { loadCalendar }] = await Promise.all([
        import('../registry/db.js'), import('../registry/queries.js'), import('../registry/render.js'), import('../calendar/calendar.js'),
      ]);
      const day = await today(o);
      const db = openRegistry(o.db, { readonly: true });
      try {
        const calendar = loadCalendar();
        if (o.format === 'csv') {
          // Streamed row by row: a registry of any size exports in flat memory.
          const toFile = o.output && o.output !== '-';
          const stream = toFile ? createWriteStream(o.output!) : undefined;
          const put = (s: string) => (stream ? stream.write(s) : io.out(s));
          if (o.issues) {
            put(render.csvLine(render.ISSUE_COLUMNS));
            for (const i of q.iterIssues(db, { today: day, calendar, states: q.ISSUE_STATES })) put(render.issueCsv(i));
          } else {
            put(render.csvLine(render.ENTRY_COLUMNS));
            for (const e of q.iterEntries(db, day)) put(render.entryCsv(e));
          }
          if (stream) await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
          return;
        }
        const summary = q.summary(db, { today: day, calendar });
        const issues = q.listIssues(db, { today: day, calendar });
        const blacklist = q.blacklistCandidates(db, day);
        const text = o.format === 'json'
          ? `${JSON.stringify({ today: day, summary, blacklist, issues, entries: [...q.iterEntries(db, day)] }, null, 2)}\n`
          : render.renderRegistryHtml(summary, q.iterEntries(db, day), issues, blacklist, o.lang, day);
        write(o.output, text, io);
      } finally {
        db.close();
      }
    }));

  program
    .command('rescan')
    .description('re-check every registry entry: parse in worker threads (facts cached by SHA-256), resumable after a crash, diff against the previous scan')
    .addOption(dbOption())
    .addOption(new Option('--concurrency <n>', 'worker threads (parsing, checking)').argParser(positiveInt).default(availableParallelism()))
    .option('--changed-only', 'only packages whose file or record changed since their last scan', false)
    .option('--rules-only', 're-evaluate stored facts with the current rules; opens no package', false)
    .option('--rules <dir>', 'rules directory (default: the shipped rules/)')
    .option('--log <file>', 'JSON log file (pino); default <db>.log')
    .option('--verify', 'also verify APK v2/v3 signature digests when parsing', false)
    .option('--takeover', 'continue a run another process left unfinished even if its pid still exists', false)
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(todayOption())
    .addOption(langOption())
    .action(async (o: RescanCliOptions) => guarded(setExitCode, io, async () => {
      io.out(await runRescanCli(o, io));
    }));
}

export interface RescanCliOptions {
  db: string;
  concurrency: number;
  changedOnly: boolean;
  rulesOnly: boolean;
  rules?: string;
  log?: string;
  verify: boolean;
  takeover: boolean;
  format: 'text' | 'json';
  today?: string;
  lang: Lang;
}

async function runRescanCli(o: RescanCliOptions, io: Io): Promise<string> {
  if (o.changedOnly && o.rulesOnly) throw new EduscanError('E_USAGE', '--changed-only and --rules-only cannot be combined');
  const [{ openRegistry }, { rescan }, { loadRuleSet }, { loadCalendar }, render, { pino }] = await Promise.all([
    import('../registry/db.js'), import('../registry/rescan.js'), import('../rules/load.js'), import('../calendar/calendar.js'), import('../registry/render.js'), import('pino'),
  ]);
  const day = await today(o);
  const ruleSet = o.rules ? loadRuleSet(o.rules) : loadRuleSet();
  const calendar = loadCalendar();
  // Fail now, not after an hour of parsing, when the calendar does not know the day.
  calendar.isWorkingDay(day);
  const db = openRegistry(o.db);
  // Plain synchronous appends: a SIGKILL loses at most the line being written, and no logger thread is started.
  const dest = pino.destination({ dest: o.log ?? `${o.db}.log`, sync: true, mkdir: true });
  const log = pino({ base: { pid: process.pid } }, dest);
  let bar: import('cli-progress').SingleBar | undefined;
  try {
    if (process.stderr.isTTY) {
      const { default: cliProgress } = await import('cli-progress');
      bar = new cliProgress.SingleBar({
        stream: process.stderr, hideCursor: true, etaBuffer: 200, fps: 5,
        format: 'rescan [{bar}] {value}/{total} | {rate}/s | ETA {eta_formatted}',
      }, cliProgress.Presets.shades_classic);
    }
    const startedAt = performance.now();
    let startDone = 0;
    const report = await rescan(db, {
      mode: o.rulesOnly ? 'rules-only' : o.changedOnly ? 'changed-only' : 'full',
      concurrency: o.concurrency, today: day, ruleSet, ...(o.rules ? { rulesDir: o.rules } : {}), calendar, dbPath: o.db, verify: o.verify, takeover: o.takeover, log,
      onStart: ({ total, done, resumed, run }) => {
        startDone = done;
        if (resumed) io.err(`eduscan: resuming run ${run}: ${done} of ${total} packages were done before\n`);
        bar?.start(total, done, { rate: '0' });
      },
      onProgress: (done) => {
        const s = (performance.now() - startedAt) / 1000;
        bar?.update(done, { rate: s > 0 ? ((done - startDone) / s).toFixed(0) : '0' });
      },
    });
    bar?.stop();
    return o.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : render.renderRescanText(report, o.lang);
  } finally {
    bar?.stop();
    db.close();
    dest.flushSync();
  }
}
