// PackageFacts as short aligned text for people: zh-CN labels by default, English with --lang en.
import type { PackageFacts } from '../facts/schema.js';

export type Lang = 'zh' | 'en';

const LABELS = {
  file: { zh: '文件', en: 'File' },
  bytes: { zh: '字节', en: 'bytes' },
  platform: { zh: '平台', en: 'Platform' },
  id: { zh: '包名', en: 'Package' },
  bundleId: { zh: 'Bundle ID', en: 'Bundle ID' },
  name: { zh: '应用名称', en: 'Name' },
  version: { zh: '版本号', en: 'Version' },
  md5: { zh: 'MD5', en: 'MD5' },
  sha256: { zh: 'SHA-256', en: 'SHA-256' },
  sdk: { zh: 'SDK', en: 'SDK' },
  minOs: { zh: '最低系统', en: 'Minimum OS' },
  min: { zh: '最低', en: 'min' },
  target: { zh: '目标', en: 'target' },
  signing: { zh: '签名', en: 'Signing' },
  unsigned: { zh: '未签名', en: 'unsigned' },
  debugCert: { zh: '调试证书', en: 'debug certificate' },
  permissions: { zh: '权限', en: 'Permissions' },
  components: { zh: '组件', en: 'Components' },
  exported: { zh: '导出', en: 'exported' },
  flags: { zh: '应用标志', en: 'App flags' },
  profile: { zh: '描述文件', en: 'Profile' },
  binary: { zh: '可执行文件', en: 'Executable' },
  sdks: { zh: '第三方SDK', en: 'Third-party SDKs' },
  apis: { zh: '敏感API', en: 'Sensitive APIs' },
  code: { zh: '代码检测', en: 'Code' },
  notAssessable: { zh: '不可评估', en: 'not assessable' },
  native: { zh: '原生库', en: 'Native ABIs' },
  anomalies: { zh: '异常', en: 'Anomalies' },
  none: { zh: '无', en: 'none' },
} as const satisfies Record<string, Record<Lang, string>>;

type LabelKey = keyof typeof LABELS;

export function renderFactsText(f: PackageFacts, lang: Lang = 'zh'): string {
  const t = (k: LabelKey) => LABELS[k][lang];
  const rows: [string, string][] = [];
  const add = (k: LabelKey | string, v: string | undefined) => {
    if (v !== undefined && v !== '') rows.push([k in LABELS ? t(k as LabelKey) : k, v]);
  };
  add('file', `${f.file.name} (${f.file.size.toLocaleString('en-US')} ${t('bytes')})`);
  add('platform', f.platform === 'android' ? 'Android' : 'iOS');
  add(f.platform === 'ios' ? 'bundleId' : 'id', f.id);
  add('name', [f.label, f.labelZh && f.labelZh !== f.label ? f.labelZh : undefined].filter(Boolean).join(' / ') || undefined);
  add('version', [f.versionName, f.versionCode !== undefined ? `(${f.versionCode})` : undefined].filter(Boolean).join(' ') || undefined);
  add('md5', f.file.md5);
  add('sha256', f.file.sha256);
  if (f.platform === 'android') {
    const sdk = [
      f.minSdk !== undefined || f.android?.minSdkCodename ? `${t('min')} ${f.minSdk ?? f.android?.minSdkCodename}` : undefined,
      f.targetSdk !== undefined || f.android?.targetSdkCodename ? `${t('target')} ${f.targetSdk ?? f.android?.targetSdkCodename}` : undefined,
    ].filter(Boolean).join(' · ');
    add('sdk', sdk || undefined);
  }
  add('minOs', f.minOs);
  if (f.signing) {
    const s = f.signing;
    if (s.signers.length === 0) {
      add('signing', t('unsigned'));
    } else {
      const seen = new Set<string>();
      const certs: string[] = [];
      for (const signer of s.signers) {
        const c = signer.certificates[0];
        if (!c || seen.has(c.certSha256)) continue;
        seen.add(c.certSha256);
        certs.push(`${c.subject}${c.debug ? ` [${t('debugCert')}]` : ''}\n  SHA-256 ${c.certSha256}`);
      }
      add('signing', `${s.schemes.join(', ')}\n${certs.map((c) => `  ${c}`).join('\n')}`);
    }
  }
  if (f.manifest) {
    const a = f.manifest.application;
    const flags = (['debuggable', 'allowBackup', 'usesCleartextTraffic', 'testOnly'] as const)
      .filter((k) => a[k] !== undefined)
      .map((k) => `${k}=${a[k]}`);
    add('flags', flags.join(' ') || undefined);
    const comps = f.manifest.components;
    add('components', `${comps.length} (${t('exported')} ${comps.filter((c) => c.exported).length})`);
  }
  if (f.android && f.android.nativeAbis.length) add('native', f.android.nativeAbis.join(', '));
  if (f.ios) {
    const p = f.ios.provisioning;
    if (p) add('profile', [p.type, p.teamName && `${p.teamName} (${p.teamId ?? ''})`, p.expirationDate && `→ ${p.expirationDate.slice(0, 10)}`].filter(Boolean).join(' · '));
    const m = f.ios.macho;
    if (m) {
      const archs = m.archs.map((a) => a.cpu).join('/');
      const flags = [m.pie ? 'PIE' : 'no PIE', m.encrypted ? 'FairPlay' : undefined, m.stackCanary === false ? 'no stack canary' : undefined, m.arc === false ? 'no ARC' : undefined].filter(Boolean);
      add('binary', `${archs} · ${flags.join(', ')}`);
    }
  }
  if (f.sdks?.length) add('sdks', f.sdks.map((s) => s.name).join(', '));
  // What the code refers to, by category, with who refers to it (an SDK id or the app): the reviewer's short list.
  const apis = new Map<string, Set<string>>();
  for (const a of f.code?.sensitiveApis ?? []) apis.set(a.category, (apis.get(a.category) ?? new Set()).add(a.owner));
  if (apis.size) add('apis', [...apis].map(([c, owners]) => `${c} (${[...owners].join(', ')})`).join('; '));
  if (f.code && !f.code.assessable) add('code', `${t('notAssessable')}${f.code.notAssessableReason ? `: ${f.code.notAssessableReason}` : ''}`);
  const perms = f.permissions.map((p) => {
    const extra = [p.sdk23 ? 'sdk-23' : undefined, p.maxSdkVersion !== undefined ? `maxSdk=${p.maxSdkVersion}` : undefined].filter(Boolean);
    const text = lang === 'en' ? (p.text ?? p.textZh) : (p.textZh ?? p.text);
    return `  ${p.name}${extra.length ? ` (${extra.join(', ')})` : ''}${text ? ` — ${text}` : ''}`;
  });
  add(`${t('permissions')} (${f.permissions.length})`, perms.length ? `\n${perms.join('\n')}` : t('none'));
  if (f.anomalies.length) {
    add(`${t('anomalies')} (${f.anomalies.length})`, `\n${f.anomalies.map((a) => `  ${a.code}${a.entry ? ` [${a.entry}]` : ''}: ${a.detail}`).join('\n')}`);
  }
  const width = Math.max(...rows.map(([k]) => displayWidth(k)));
  // A value that starts with a newline is a block under its label; the rest align in one column.
  return rows.map(([k, v]) => (v.startsWith('\n') ? `${k}${v}` : `${k}${' '.repeat(width - displayWidth(k) + 2)}${v}`)).join('\n') + '\n';
}

/** CJK characters take two columns in a terminal. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1;
  return w;
}
