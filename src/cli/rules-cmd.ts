// `eduscan rules list | show ID | validate [DIR]`: read the rule set shipped in rules/ (or another directory).
// list and show print zh by default (--lang en), or JSON; validate checks every data file and lists every
// problem as "<file>:<line>:<col> <path>: <problem>". Exit 0 when done, 2 when the rules cannot be used
// (validate found problems, an unknown rule id, an unreadable directory).
import { Option, type Command } from 'commander';
import { SEVERITIES, SEVERITY_ZH, type Severity } from '../check/types.js';
import { isEduscanError } from '../errors.js';
// The rule loader (zod, yaml) is imported when a rules command runs, not when the CLI starts.
type RulesLib = typeof import('../rules/load.js') & { stringify: typeof import('yaml').stringify };
import type { Rule, RuleSet } from '../rules/types.js';

type Lang = 'zh' | 'en';

export interface RulesDeps {
  /** Receives 2 when the rules cannot be used; the default sets process.exitCode. */
  setExitCode?: (code: number) => void;
  out?: (s: string) => void;
  err?: (s: string) => void;
}

const EXIT_INPUT = 2;
const ID_WIDTH = 18;
const COL_WIDTH = 8;

const T = {
  id: { zh: 'ID', en: 'ID' },
  severity: { zh: '级别', en: 'Severity' },
  platform: { zh: '平台', en: 'Platform' },
  title: { zh: '标题', en: 'Title' },
  category: { zh: '类别', en: 'Category' },
  file: { zh: '文件', en: 'File' },
  message: { zh: '提示', en: 'Message' },
  rationale: { zh: '理由', en: 'Rationale' },
  basis: { zh: '依据', en: 'Basis' },
  references: { zh: '参考', en: 'References' },
  when: { zh: '条件', en: 'Condition' },
  evidence: { zh: '证据', en: 'Evidence' },
  severityWhen: { zh: '级别调整', en: 'Severity override' },
  each: { zh: '每项一条', en: 'One finding per' },
  tests: { zh: '测试用例', en: 'Test cases' },
  trigger: { zh: '触发', en: 'trigger' },
  pass: { zh: '不触发', en: 'pass' },
  total: { zh: '条规则', en: 'rules' },
  version: { zh: '规则版本', en: 'rules version' },
  unknown: { zh: '没有这条规则', en: 'no such rule' },
  similar: { zh: '相近的', en: 'similar' },
  valid: { zh: '规则目录有效', en: 'rules directory is valid' },
  invalid: { zh: '个问题', en: 'problem(s)' },
} as const satisfies Record<string, Record<Lang, string>>;

function severityText(s: Severity, lang: Lang): string {
  return lang === 'zh' ? `${SEVERITY_ZH[s]}` : s;
}

function counts(rules: Rule[], lang: Lang): string {
  return SEVERITIES.map((s) => `${severityText(s, lang)} ${rules.filter((r) => r.severity === s).length}`).join(lang === 'zh' ? '，' : ', ');
}

function footer(set: RuleSet, rules: Rule[], lang: Lang): string {
  return `${rules.length} ${T.total[lang]} (${counts(rules, lang)}) · ${T.version[lang]} ${set.version} · sha256 ${set.digest.slice(0, 12)}\n`;
}

/** Pads to a terminal width: CJK and full-width characters take two columns. */
function pad(s: string, width: number): string {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return s + ' '.repeat(Math.max(0, width - w));
}

function listText(set: RuleSet, rules: Rule[], lang: Lang): string {
  const lines = [`${pad(T.id[lang], ID_WIDTH)}  ${pad(T.severity[lang], COL_WIDTH)}  ${pad(T.platform[lang], COL_WIDTH)}  ${T.title[lang]}`];
  for (const r of rules) lines.push(`${pad(r.id, ID_WIDTH)}  ${pad(severityText(r.severity, lang), COL_WIDTH)}  ${pad(r.platform, COL_WIDTH)}  ${r.title[lang]}`);
  return `${lines.join('\n')}\n\n${footer(set, rules, lang)}`;
}

function indent(text: string, by = '    '): string {
  return text.trimEnd().split('\n').map((l) => by + l).join('\n');
}

function showText(r: Rule, lang: Lang, stringify: RulesLib['stringify']): string {
  const out: string[] = [`${r.id}  ${r.title[lang]}`];
  const sev = lang === 'zh' ? `${SEVERITY_ZH[r.severity]} (${r.severity})` : r.severity;
  out.push(`  ${T.severity[lang]}: ${sev}   ${T.platform[lang]}: ${r.platform}   ${T.category[lang]}: ${r.category}   ${T.file[lang]}: rules/${r.file}`);
  out.push(`  ${T.message[lang]}: ${r.message[lang]}`);
  out.push(`  ${T.rationale[lang]}: ${r.rationale[lang]}`);
  out.push(`  ${T.basis[lang]}: ${r.basis}${r.cwe ? `  (${r.cwe})` : ''}`);
  for (const ref of r.references ?? []) out.push(`  ${T.references[lang]}: ${ref}`);
  out.push(`  ${T.when[lang]}:`, indent(stringify(r.when)));
  if (r.each) out.push(`  ${T.each[lang]}: ${r.each}`);
  out.push(`  ${T.evidence[lang]}:`, indent(stringify(r.evidence)));
  for (const s of r.severityWhen ?? []) out.push(`  ${T.severityWhen[lang]}: → ${severityText(s.severity, lang)}`, indent(stringify(s.when)));
  if (r.tests) out.push(`  ${T.tests[lang]}: ${T.trigger[lang]} ${r.tests.trigger.length}, ${T.pass[lang]} ${r.tests.pass.length}`);
  return `${out.join('\n')}\n`;
}

/** Rule data for JSON output: everything but the inline test cases. */
function ruleJson(r: Rule): Omit<Rule, 'tests'> & { tests?: { trigger: number; pass: number } } {
  const { tests, ...rest } = r;
  return tests ? { ...rest, tests: { trigger: tests.trigger.length, pass: tests.pass.length } } : rest;
}

export function registerRules(program: Command, deps: RulesDeps = {}): void {
  const out = deps.out ?? ((s: string) => void process.stdout.write(s));
  const err = deps.err ?? ((s: string) => void process.stderr.write(s));
  const setExitCode = deps.setExitCode ?? ((c: number) => void (process.exitCode = c));
  const langOption = () => new Option('--lang <lang>', 'language of the text output').choices(['zh', 'en']).default('zh').env('EDUSCAN_LANG');
  const formatOption = () => new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text');

  /** Runs `body`; an unusable rules directory is reported on stderr with exit code 2. */
  const guarded = async (body: (lib: RulesLib) => void): Promise<void> => {
    try {
      const [yaml, load] = await Promise.all([import('yaml'), import('../rules/load.js')]);
      body({ ...load, stringify: yaml.stringify });
    } catch (e) {
      if (!isEduscanError(e)) throw e;
      err(`eduscan rules: ${e.message} [${e.code}]\n`);
      setExitCode(EXIT_INPUT);
    }
  };

  const rules = program.command('rules').description('list, show and validate the high-risk rules and the permission map (rules/*.yaml)');

  rules
    .command('list')
    .description('list the rules: id, severity, platform, title')
    .addOption(langOption())
    .addOption(formatOption())
    .addOption(new Option('--platform <platform>', 'only rules that apply to this platform').choices(['android', 'ios']))
    .addOption(new Option('--severity <severity>', 'only rules of this severity').choices([...SEVERITIES]))
    .option('--dir <dir>', 'rules directory (default: the shipped rules/)')
    .action((o: { lang: Lang; format: 'text' | 'json'; platform?: 'android' | 'ios'; severity?: Severity; dir?: string }) =>
      guarded(({ loadRuleSet, RULES_DIR }) => {
        const set = loadRuleSet(o.dir ?? RULES_DIR);
        const picked = set.rules.filter((r) => (!o.platform || r.platform === o.platform || r.platform === 'both') && (!o.severity || r.severity === o.severity));
        if (o.format === 'json') out(`${JSON.stringify({ version: set.version, digest: set.digest, rules: picked.map(ruleJson) }, null, 2)}\n`);
        else out(listText(set, picked, o.lang));
      }),
    );

  rules
    .command('show')
    .description('show one rule: texts, basis, condition, evidence, test cases')
    .argument('<id>', 'rule id, e.g. EDU-AND-MAN-001')
    .addOption(langOption())
    .addOption(formatOption())
    .option('--dir <dir>', 'rules directory (default: the shipped rules/)')
    .action((id: string, o: { lang: Lang; format: 'text' | 'json'; dir?: string }) =>
      guarded(({ loadRuleSet, RULES_DIR, stringify }) => {
        const set = loadRuleSet(o.dir ?? RULES_DIR);
        const want = id.trim().toUpperCase();
        const rule = set.rules.find((r) => r.id === want);
        if (!rule) {
          const similar = set.rules.filter((r) => r.id.startsWith(want.replace(/-?\d*$/, ''))).map((r) => r.id).slice(0, 8);
          err(`eduscan rules: ${T.unknown[o.lang]}: ${id}${similar.length > 0 ? ` (${T.similar[o.lang]}: ${similar.join(', ')})` : ''}\n`);
          setExitCode(EXIT_INPUT);
          return;
        }
        out(o.format === 'json' ? `${JSON.stringify(ruleJson(rule), null, 2)}\n` : showText(rule, o.lang, stringify));
      }),
    );

  rules
    .command('validate')
    .description('check a rules directory (schema, paths, placeholders, ids) and list every problem')
    .argument('[dir]', 'rules directory (default: the shipped rules/)')
    .addOption(langOption())
    .action((dir: string | undefined, o: { lang: Lang }) =>
      guarded(({ validateRuleDir, RULES_DIR }) => {
        dir ??= RULES_DIR;
        const { problems, set } = validateRuleDir(dir);
        if (problems.length > 0 || !set) {
          for (const p of problems) out(`${p.message}\n`);
          err(`eduscan rules: ${dir}: ${problems.length} ${T.invalid[o.lang]}\n`);
          setExitCode(EXIT_INPUT);
          return;
        }
        out(`${T.valid[o.lang]}: ${dir}\n${footer(set, set.rules, o.lang)}`);
      }),
    );
}
