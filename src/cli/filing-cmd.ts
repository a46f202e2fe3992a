// `eduscan fill PACKAGE [--filing RECORD] [--app NAME] [--write] [--lang zh|en]`: prefill a filing record from a
// package. Without --write the would-be record goes to stdout and the summary of changes to stderr (so the
// record can be redirected); with --write the record file is replaced and the summary goes to stdout.
// Exit 0 when done (remaining form problems are listed, they are the person's to fill), 2 when the package or the
// record cannot be read, the app is ambiguous, or the command line is wrong.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import type { CategoryDetection, PermissionLabel } from '../check/types.js';
import { EduscanError, isEduscanError } from '../errors.js';
import type { PackageFacts } from '../facts/schema.js';
import { formatPath, type FilingProblem } from '../filing/problems.js';
import type { FillResult } from '../filing/write.js';
import type { MatchedBy } from '../filing/match.js';

type Lang = 'zh' | 'en';

export interface FillDeps {
  /** The permission-box detection (the rules layer provides it). */
  detect: (facts: PackageFacts) => CategoryDetection[];
  /** Receives 2 when an input cannot be used; the default sets process.exitCode. */
  setExitCode?: (code: number) => void;
  out?: (s: string) => void;
  err?: (s: string) => void;
}

interface FillOptions {
  filing?: string;
  app?: string;
  write: boolean;
  lang: Lang;
}

const EXIT_INPUT = 2;
/** Problems listed after a fill at most; the rest are counted. */
const MAX_SHOWN_PROBLEMS = 40;

const T = {
  head: { zh: '应用', en: 'App' },
  byPackageId: { zh: '按包名匹配', en: 'matched by package id' },
  byPlatform: { zh: '按平台匹配（唯一的该平台应用）', en: 'matched by platform (the only app of that platform)' },
  byName: { zh: '按 --app 名称匹配', en: 'matched by --app name' },
  newRecord: { zh: '新建备案记录', en: 'new record' },
  newApp: { zh: '记录中没有匹配的应用，已新增一项', en: 'no app in the record matched: a new entry was added' },
  noChanges: { zh: '无需修改：记录与安装包一致', en: 'nothing to change: the record agrees with the package' },
  conflicts: { zh: '与安装包不一致（未修改，请人工核对）', en: 'Disagrees with the package (left as entered; please check)' },
  recorded: { zh: '记录为', en: 'recorded' },
  inPackage: { zh: '安装包为', en: 'package has' },
  todo: { zh: '仍需填写或更正', en: 'Still to fill in or correct' },
  more: { zh: '还有', en: 'and' },
  moreTail: { zh: '项', en: 'more' },
  written: { zh: '已写入', en: 'Written to' },
  unchanged: { zh: '文件未改动：', en: 'File left as it was:' },
  notWritten: { zh: '未写入文件；加 --write 写回', en: 'Not written; add --write to save to' },
  notWrittenNoFile: { zh: '未写入文件；用 --filing FILE --write 保存', en: 'Not written; use --filing FILE --write to save it' },
  empty: { zh: '（空）', en: '(empty)' },
  added: { zh: '新增', en: 'added' },
} as const satisfies Record<string, Record<Lang, string>>;

function show(v: unknown, lang: Lang): string {
  if (v === undefined || v === null || v === '') return T.empty[lang];
  if (Array.isArray(v)) return v.length === 0 ? '[]' : v.map((x) => String(x)).join(lang === 'zh' ? '、' : ', ');
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function renderFillSummary(
  r: FillResult,
  remaining: readonly FilingProblem[],
  ctx: { pkg: string; file?: string; appPath: string; written: boolean; writeAsked?: boolean; by?: MatchedBy; appName?: string },
  lang: Lang,
): string {
  const lines: string[] = [];
  const how = r.created === 'record' ? T.newRecord[lang] : r.created === 'app' ? T.newApp[lang]
    : ctx.by === 'packageId' ? T.byPackageId[lang] : ctx.by === 'platform' ? T.byPlatform[lang] : ctx.by === 'name' ? T.byName[lang] : '';
  const where = ctx.file ? `${ctx.file} ${ctx.appPath}` : ctx.appPath;
  lines.push(`eduscan fill: ${basename(ctx.pkg)} → ${where}${ctx.appName ? ` ${ctx.appName}` : ''}${how ? ` (${how})` : ''}`);
  if (r.changes.length === 0) lines.push(T.noChanges[lang]);
  else {
    lines.push(lang === 'zh' ? `修改 ${r.changes.length} 处：` : `Changes (${r.changes.length}):`);
    for (const c of r.changes) {
      if (c.evidence && Array.isArray(c.from)) {
        const added = (c.to as string[]).filter((x) => !(c.from as string[]).includes(x));
        const ev = added.map((l) => `${l} (${(c.evidence?.[l as PermissionLabel] ?? []).join(', ')})`);
        lines.push(`  ${c.path}: ${T.added[lang]} ${ev.join(lang === 'zh' ? '、' : ', ')}`);
      } else if (c.evidence) {
        const ev = (c.to as string[]).map((l) => `${l} (${(c.evidence?.[l as PermissionLabel] ?? []).join(', ')})`);
        lines.push(`  ${c.path}: ${show(c.from, lang)} → ${ev.join(lang === 'zh' ? '、' : ', ') || '[]'}`);
      } else lines.push(`  ${c.path}: ${show(c.from, lang)} → ${show(c.to, lang)}`);
    }
  }
  if (r.conflicts.length > 0) {
    lines.push(`${T.conflicts[lang]}${lang === 'zh' ? '：' : ':'}`);
    for (const c of r.conflicts) lines.push(`  ${c.path}: ${T.recorded[lang]} ${show(c.recorded, lang)}, ${T.inPackage[lang]} ${show(c.package, lang)}`);
  }
  if (remaining.length > 0) {
    lines.push(lang === 'zh' ? `${T.todo.zh}（${remaining.length} 项）：` : `${T.todo.en} (${remaining.length}):`);
    for (const p of remaining.slice(0, MAX_SHOWN_PROBLEMS)) lines.push(`  ${p.path || '.'}: ${lang === 'zh' ? p.zh : p.en}`);
    if (remaining.length > MAX_SHOWN_PROBLEMS) lines.push(`  ${T.more[lang]} ${remaining.length - MAX_SHOWN_PROBLEMS} ${T.moreTail[lang]}`);
  }
  if (ctx.written) lines.push(`${T.written[lang]} ${ctx.file ?? ''}`);
  else if (ctx.writeAsked) lines.push(`${T.unchanged[lang]} ${ctx.file ?? ''}`);
  else lines.push(ctx.file ? `${T.notWritten[lang]} ${ctx.file}` : T.notWrittenNoFile[lang]);
  return `${lines.join('\n')}\n`;
}

export async function runFill(pkg: string, o: FillOptions, deps: FillDeps): Promise<number> {
  const out = deps.out ?? ((s: string) => void process.stdout.write(s));
  const err = deps.err ?? ((s: string) => void process.stderr.write(s));
  try {
    if (o.write && !o.filing) throw new EduscanError('E_USAGE', '--write needs --filing FILE (the record to update or create)');
    // Loaded here, not at start-up: zod and yaml stay out of `eduscan scan`.
    const [{ scanPackage }, load, match, write] = await Promise.all([
      import('../scan.js'), import('../filing/load.js'), import('../filing/match.js'), import('../filing/write.js'),
    ]);
    const facts = await scanPackage(pkg);
    const detected = deps.detect(facts);
    const doc = o.filing !== undefined && existsSync(o.filing) ? load.readFilingFile(o.filing) : undefined;
    let index: number | undefined;
    let by: MatchedBy | undefined;
    if (doc) {
      try {
        const loc = match.findApp(doc, facts, o.app === undefined ? {} : { app: o.app });
        index = loc.index;
        by = loc.by;
      } catch (e) {
        // No app of this package yet: fill adds one. A named app that is missing, or an ambiguous match, is an error.
        if (!(isEduscanError(e) && e.code === 'E_NO_APP' && o.app === undefined && load.rawApps(doc) !== undefined)) throw e;
      }
    }
    const format = doc?.format ?? (o.filing ? load.formatFromPath(o.filing) : 'yaml');
    const result = write.fillApp(doc, index, facts, detected, { format });
    const after = load.parseFilingText(result.text, { format, ...(o.filing === undefined ? {} : { file: o.filing }) });
    const appsRaw = load.rawApps(after);
    const entry = appsRaw?.[result.index] as { name?: unknown } | undefined;
    const changed = doc === undefined || result.text !== doc.text;
    if (o.write && o.filing !== undefined && changed) write.saveRecordText(o.filing, result.text);
    const summary = renderFillSummary(result, after.problems, {
      pkg, ...(o.filing === undefined ? {} : { file: o.filing }), appPath: formatPath([...load.appsPath(after.kind), result.index]), written: o.write && changed, writeAsked: o.write, ...(by === undefined ? {} : { by }),
      ...(typeof entry?.name === 'string' ? { appName: entry.name } : {}),
    }, o.lang);
    if (o.write) out(summary);
    else {
      out(result.text);
      err(summary);
    }
    return 0;
  } catch (e) {
    if (!isEduscanError(e)) throw e;
    err(`eduscan: ${e.file ?? pkg}: ${e.message} [${e.code}]\n`);
    return EXIT_INPUT;
  }
}

export function registerFill(program: Command, deps: FillDeps): Command {
  const setExit = deps.setExitCode ?? ((c: number) => { process.exitCode = c; });
  return program
    .command('fill')
    .description('prefill a filing record (提供者备案) from a package: platform, version, package id, MD5 and the permission boxes; never removes a tick')
    .argument('<package>', 'package file (.apk, .ipa)')
    .option('--filing <record>', 'the record to update (.yaml, .yml, .json); created with --write when it does not exist')
    .option('--app <name>', 'the app in the record (应用名称) when the package id and platform do not decide')
    .option('--write', 'write the record back (otherwise it is printed to stdout)', false)
    .addOption(new Option('--lang <lang>', 'language of the summary').choices(['zh', 'en']).default('zh').env('EDUSCAN_LANG'))
    .action(async (pkg: string, o: FillOptions) => {
      const code = await runFill(pkg, o, deps);
      if (code !== 0) setExit(code);
    });
}
