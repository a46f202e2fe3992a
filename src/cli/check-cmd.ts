// `eduscan check PACKAGE [--filing RECORD] [--app NAME] [--use USE_RECORD]... [--ignorefile FILE] [-f text|json|sarif|html] [-o FILE]
//  [--lang zh|en] [--write] [--fail-on high|medium|low]`: the package against its filing record and the rule set.
// Exit 0 pass / explain / unassessable, 1 fail (or a finding at or above --fail-on), 2 unreadable input.
import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { EduscanError, isEduscanError } from '../errors.js';
import type { Lang } from '../report/facts-text.js';
import type { Severity, Suppression } from '../check/types.js';

export interface CheckCliOptions {
  filing?: string;
  app?: string;
  /** Use filings (使用者备案) of the app: whether a school requires it (要求使用) and for whom. */
  use?: string[];
  ignorefile?: string;
  format: 'text' | 'json' | 'sarif' | 'html';
  out?: string;
  output?: string;
  lang: Lang;
  write: boolean;
  failOn: Severity;
  today?: string;
  verify: boolean;
  code: boolean;
}

const EXIT_OK = 0;
const EXIT_FAIL = 1;
const EXIT_INPUT = 2;

/** The ignore file: `suppress: [{rule, reason, by, until?, packages?}]`, the same shape a record carries. */
async function readIgnoreFile(path: string): Promise<Suppression[]> {
  const [{ parse }, { z }, { SuppressionSchema }] = await Promise.all([import('yaml'), import('zod'), import('../filing/schema.js')]);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new EduscanError('E_IO', `cannot read ignore file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new EduscanError('E_CONFIG', `${path}: not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = z.strictObject({ suppress: z.array(SuppressionSchema) }).safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new EduscanError('E_CONFIG', `${path}: ${first ? `${first.path.join('.') || '.'}: ${first.message}` : 'invalid'} (every entry needs rule, reason and by)`);
  }
  return r.data.suppress;
}

/**
 * The --use files, each a valid use filing; with --filing, each must be about the matched app (same 教APP备
 * number, else same name) — a use filing of another app would silently change severities. A use filing given
 * as --filing (self-developed app) counts as one of them too.
 */
async function readUseFilings(
  paths: readonly string[], doc: import('../filing/load.js').FilingDocument | undefined, app: { data: Record<string, unknown>; name: string } | undefined,
  io: { err: (s: string) => void }, lang: Lang,
): Promise<import('../filing/use.js').UseContext[]> {
  if (paths.length === 0 && doc?.kind !== 'use') return [];
  const [load, use] = await Promise.all([import('../filing/load.js'), import('../filing/use.js')]);
  const out: import('../filing/use.js').UseContext[] = [];
  if (doc?.kind === 'use' && doc.data) out.push(use.useContext(doc));
  for (const path of paths) {
    const d = load.readFilingFile(path);
    if (d.kind !== 'use') throw new EduscanError('E_RECORD', `--use needs a use filing (kind: use), this is a ${d.kind} filing`, { file: path });
    if (!d.data) {
      for (const p of d.problems) io.err(`eduscan: ${path}: ${p.path || '.'}: ${lang === 'zh' ? p.zh : p.en}\n`);
      throw new EduscanError('E_RECORD', `the use filing has ${d.problems.length} problem(s) (listed above)`, { file: path });
    }
    const u = use.useContext(d);
    if (app && !use.useIsFor(u, app.data)) {
      const filed = typeof app.data.filingNo === 'string' ? `${app.name}, ${app.data.filingNo}` : app.name;
      throw new EduscanError('E_NO_APP', `the use filing is for ${u.app}${u.filingNo ? `, ${u.filingNo}` : ''}, not for the filed app (${filed})`, { file: path });
    }
    out.push(u);
  }
  return out;
}

export async function runCheck(pkg: string, o: CheckCliOptions, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  try {
    if (o.write && !o.filing) throw new EduscanError('E_USAGE', '--write needs --filing RECORD');
    const [{ scanPackage }, { checkFacts, failsAt }, { loadRuleSet }] = await Promise.all([
      import('../scan.js'), import('../check/check.js'), import('../rules/load.js'),
    ]);
    const facts = await scanPackage(pkg, { verify: o.verify, code: o.code });
    const ruleSet = loadRuleSet();
    const suppressions: Suppression[] = [];
    let app: Parameters<typeof checkFacts>[0]['app'];
    let record: Record<string, unknown> | undefined;
    let doc: import('../filing/load.js').FilingDocument | undefined;
    if (o.filing) {
      const [load, match] = await Promise.all([import('../filing/load.js'), import('../filing/match.js')]);
      doc = load.readFilingFile(o.filing);
      if (!doc.data) {
        for (const p of doc.problems) io.err(`eduscan: ${o.filing}: ${p.path || '.'}: ${o.lang === 'zh' ? p.zh : p.en}\n`);
        throw new EduscanError('E_RECORD', `the filing record has ${doc.problems.length} problem(s) (listed above)`, { file: o.filing });
      }
      for (const p of doc.problems) io.err(`eduscan: warning: ${o.filing}: ${p.path || '.'}: ${o.lang === 'zh' ? p.zh : p.en}\n`);
      record = doc.data as unknown as Record<string, unknown>;
      // A school's use filing of a provider-filed app lists no app of its own: the package gets a package-only
      // check, with the use filing as context (see readUseFilings).
      if (match.namesApps(doc)) {
        const m = match.selectApp(doc, facts, o.app === undefined ? {} : { app: o.app });
        app = { data: m.app as unknown as Record<string, unknown>, index: m.index, file: o.filing, name: m.app.name };
      }
      if (doc.kind === 'provider' && doc.data.suppress) suppressions.push(...(doc.data.suppress as Suppression[]));
    }
    if (o.ignorefile) suppressions.push(...(await readIgnoreFile(o.ignorefile)));
    const uses = await readUseFilings(o.use ?? [], doc, app, io, o.lang);
    const result = checkFacts({ facts, ruleSet, suppressions, ...(app ? { app } : {}), ...(record ? { record } : {}), ...(uses.length ? { uses } : {}), ...(o.today ? { today: o.today } : {}) });

    let rendered: string;
    if (o.format === 'json') rendered = (await import('../report/check-json.js')).renderCheckJson(result);
    else if (o.format === 'sarif') rendered = (await import('../report/sarif.js')).renderSarif(result, o.lang);
    else if (o.format === 'html') rendered = (await import('../report/html.js')).renderHtml(result, o.lang);
    else rendered = (await import('../report/check-text.js')).renderCheckText(result, o.lang);
    const target = o.out ?? o.output;
    if (target && target !== '-') writeFileSync(target, rendered);
    else io.out(rendered);

    if (o.write && doc && app) {
      const write = await import('../filing/write.js');
      const text = write.writeScanBlock(doc, app.index, write.scanBlockFromResult(result));
      write.saveRecordText(o.filing!, text);
      io.err(o.lang === 'zh' ? `检测结果已写入 ${o.filing}\n` : `scan result written to ${o.filing}\n`);
    }
    for (const s of result.expiredSuppressions) {
      io.err(`eduscan: warning: suppression of ${s.rule} by ${s.by} expired on ${s.until}\n`);
    }
    return failsAt(result, o.failOn) ? EXIT_FAIL : EXIT_OK;
  } catch (e) {
    if (!isEduscanError(e)) throw e;
    io.err(`eduscan: ${e.file ?? pkg}: ${e.message} [${e.code}]\n`);
    return EXIT_INPUT;
  }
}

export function registerCheck(program: Command, setExitCode: (code: number) => void): Command {
  return program
    .command('check')
    .description('check a package against its filing record and the high-risk rules; verdict 通过/需说明/不通过/不可评估')
    .argument('<package>', 'package file (.apk, .ipa)')
    .option('--filing <record>', 'filing record (JSON or YAML) to compare with')
    .option('--app <name>', 'which app of the record, when the package id and platform do not decide it')
    .option('--use <record>', 'a use filing (使用者备案) of the app; repeat for several schools (要求使用 raises the ad rules)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--ignorefile <file>', 'YAML file with `suppress: [{rule, reason, by, until?, packages?}]`')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'sarif', 'html']).default('text'))
    .option('-o, --out <file>', 'write the report to a file instead of stdout')
    .addOption(new Option('--output <file>', 'same as --out').hideHelp())
    .addOption(new Option('--lang <lang>', 'report language').choices(['zh', 'en']).default('zh').env('EDUSCAN_LANG'))
    .option('--write', 'store the 检测结果 block in the filing record', false)
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding of this severity or higher remains').choices(['high', 'medium', 'low']).default('high'))
    .option('--verify', 'also verify APK v2/v3 signature digests', false)
    .option('--no-code', 'do not read DEX code (SDK and sensitive-API checks become not assessable)')
    .addOption(new Option('--today <yyyy-mm-dd>', 'date used for suppression expiry (tests)').hideHelp())
    .action(async (pkg: string, o: CheckCliOptions) => {
      setExitCode(await runCheck(pkg, o, { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s) }));
    });
}
