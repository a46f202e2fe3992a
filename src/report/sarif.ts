// CheckResult as SARIF 2.1.0 (OASIS errata01 schema; checked against it in tests/report), shaped for GitHub
// code scanning: one run, a rule descriptor per rule that fired, security-severity on each rule, our own
// fingerprint as a partial fingerprint, suppressed findings kept as results with an external suppression.
//
// Language: message.text, shortDescription and help are in the report language (zh-CN by default, like every
// eduscan report: the filing, its rules and its readers are Chinese); the other language rides along in
// `properties` so a consumer can still show it. GitHub shows message.text and the rule's descriptions as
// they are, so `--lang en` is the switch for an English-reading CI.
import {
  PERMISSION_LABELS_EN, SEVERITY_ZH, VERDICT_ZH, type CheckResult, type Evidence, type Finding, type Severity,
} from '../check/types.js';
import { label, orderedFindings, tr, VERDICT_EN, type Lang } from './check-text.js';

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
export const SARIF_VERSION = '2.1.0';
/** Key under partialFingerprints; bump the suffix if Finding.fingerprint's recipe changes. */
export const FINGERPRINT_KEY = 'eduscanFingerprint/v1';

const LEVEL = { high: 'error', medium: 'warning', low: 'note', info: 'note' } as const satisfies Record<Severity, string>;
/** GitHub's scale: >= 7.0 high, >= 4.0 medium, > 0 low. */
const SECURITY_SEVERITY = { high: '8.0', medium: '5.5', low: '3.0', info: '0.0' } as const satisfies Record<Severity, string>;
const RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2, info: 3 };

/** SARIF logicalLocation.kind for each evidence kind (the spec's well-known values). */
const LOGICAL_KIND: Record<string, string> = {
  permission: 'element',
  component: 'type',
  manifest: 'attribute',
  'network-config': 'element',
  'usage-key': 'property',
  plist: 'property',
  provisioning: 'property',
  record: 'property',
  signing: 'resource',
  macho: 'module',
  sdk: 'module',
  api: 'member',
  zip: 'resource',
  file: 'resource',
};

type Json = string | number | boolean | null | Json[] | { [k: string]: Json | undefined };

export function renderSarif(r: CheckResult, lang: Lang = 'zh'): string {
  const findings = orderedFindings(r.findings);
  const uri = uriSegment(r.package.file.name);

  // One descriptor per rule; a rule whose severity was raised for this filing (e.g. minors) takes the highest.
  const rules = new Map<string, Finding>();
  for (const f of findings) {
    const seen = rules.get(f.rule);
    if (!seen || RANK[f.severity] < RANK[seen.severity]) rules.set(f.rule, f);
  }
  const ruleIds = [...rules.keys()];
  const descriptors = [...rules.values()].map((f) => ({
    id: f.rule,
    name: pascalName(f.title.en) || f.rule,
    shortDescription: { text: tr(f.title, lang) },
    fullDescription: { text: tr(f.rationale, lang) },
    help: {
      text: `${tr(f.rationale, lang)}\n${label('basis', lang)}: ${f.basis}`,
      markdown: `${mdEscape(tr(f.rationale, lang))}\n\n**${label('basis', lang)}**: ${mdEscape(f.basis)}`,
    },
    defaultConfiguration: { level: LEVEL[f.severity] },
    properties: {
      'security-severity': SECURITY_SEVERITY[f.severity],
      tags: ['security', 'eduscan', f.severity],
      precision: 'high',
      severity: f.severity,
      title: { zh: f.title.zh, en: f.title.en },
      rationale: { zh: f.rationale.zh, en: f.rationale.en },
      basis: f.basis,
    },
  }));

  const results = findings.map((f) => {
    const result: Record<string, Json | undefined> = {
      ruleId: f.rule,
      ruleIndex: ruleIds.indexOf(f.rule),
      level: LEVEL[f.severity],
      message: { text: tr(f.message, lang) || tr(f.title, lang) },
      locations: [location(uri, f.evidence)],
      partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
      properties: {
        severity: f.severity,
        severityZh: SEVERITY_ZH[f.severity],
        title: { zh: f.title.zh, en: f.title.en },
        message: { zh: f.message.zh, en: f.message.en },
        evidence: f.evidence.map(evidenceJson),
      },
    };
    if (f.suppressed) {
      const s = f.suppressed;
      result.suppressions = [{
        kind: 'external',
        status: 'accepted',
        justification: s.reason,
        properties: { by: s.by, until: s.until, packages: s.packages },
      }];
    }
    return result;
  });

  const p = r.package;
  const run = {
    tool: {
      driver: {
        name: 'eduscan',
        version: r.tool.version,
        semanticVersion: /^\d+\.\d+\.\d+/.test(r.tool.version) ? r.tool.version : undefined,
        rules: descriptors,
        properties: { rulesVersion: r.rules.version, rulesDigest: r.rules.digest, rulesCount: r.rules.count },
      },
    },
    invocations: [{ executionSuccessful: true, endTimeUtc: utc(r.createdAt) }],
    language: lang === 'zh' ? 'zh-CN' : 'en-US',
    artifacts: [{
      location: { uri },
      length: p.file.size,
      roles: ['analysisTarget'],
      mimeType: p.platform === 'android' ? 'application/vnd.android.package-archive' : 'application/octet-stream',
      hashes: { md5: p.file.md5, 'sha-256': p.file.sha256 },
    }],
    results,
    properties: {
      verdict: r.verdict,
      verdictText: lang === 'zh' ? VERDICT_ZH[r.verdict] : VERDICT_EN[r.verdict],
      verdictReasons: r.verdictReasons.map((t) => ({ zh: t.zh, en: t.en })),
      counts: { ...r.counts },
      package: { id: p.id, platform: p.platform, versionName: p.versionName, versionCode: p.versionCode, md5: p.file.md5, sha256: p.file.sha256 },
      record: r.record ? { ...r.record } : undefined,
      filed: [...r.filed],
      undeclared: r.undeclared.map((u) => ({ label: u.label, labelEn: PERMISSION_LABELS_EN[u.label], evidence: u.evidence.map(evidenceJson) })),
      notDetected: [...r.notDetected],
      expiredSuppressions: r.expiredSuppressions.map((s) => ({ ...s })),
      notAssessable: r.notAssessable.map((t) => ({ zh: t.zh, en: t.en })),
      manual: r.manual.map((t) => ({ zh: t.zh, en: t.en })),
      // SARIF has no place for an inventory; consumers of the verdict still want the SDK list beside it.
      sdks: (p.sdks ?? []).map((s) => ({ id: s.id, name: s.name, vendor: s.vendor, category: s.category, evidence: s.evidence.map((e) => ({ ...e })) })),
    },
  };
  const log = { $schema: SARIF_SCHEMA_URI, version: SARIF_VERSION, runs: [run] };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/**
 * The package is the artifact; evidence (manifest elements, plist keys, record fields) are logical locations.
 * region.startLine 1 stands for the whole binary file: GitHub code scanning drops results without a line.
 */
function location(uri: string, evidence: readonly Evidence[]): Json {
  const logical: Json[] = [];
  const seen = new Set<string>();
  for (const e of evidence) {
    const fqn = e.location ? `${e.location}: ${e.value}` : e.value;
    const key = `${e.kind}\u0000${fqn}`;
    if (seen.has(key)) continue; // the schema wants logicalLocations unique
    seen.add(key);
    logical.push({
      name: e.value,
      fullyQualifiedName: fqn,
      kind: LOGICAL_KIND[e.kind] ?? 'value',
      properties: { evidenceKind: e.kind, strength: e.strength },
    });
  }
  const loc: Record<string, Json> = { physicalLocation: { artifactLocation: { uri }, region: { startLine: 1 } } };
  if (logical.length) loc.logicalLocations = logical;
  return loc;
}

function evidenceJson(e: Evidence): Json {
  return { kind: e.kind, value: e.value, location: e.location, strength: e.strength };
}

/** A file name as one relative-URI segment (spaces, CJK, '#', '%' all percent-encoded). */
function uriSegment(name: string): string {
  // encodeURIComponent throws on a lone surrogate; package data is hostile.
  const wellFormed = name.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return encodeURIComponent(wellFormed || 'package');
}

/** "App is debuggable" -> "AppIsDebuggable": SARIF's reportingDescriptor.name is an identifier-like name. */
function pascalName(title: string): string {
  return title.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

function mdEscape(s: string): string {
  return s.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`);
}

/** SARIF wants RFC 3339 UTC; a createdAt that is not a date is left out rather than making the log invalid. */
function utc(s: string): string | undefined {
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}
