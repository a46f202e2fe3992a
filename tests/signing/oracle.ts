// Reads the stored outputs of apksigner and openssl (tests/oracle/apksigner/generate.sh) and compares
// them with our SigningFacts. Expected values come only from those files.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SigningFacts } from '../../src/facts/schema.js';

export const ORACLE_DIR = resolve(import.meta.dirname, '..', 'oracle', 'apksigner', 'out');

export interface OracleSigner {
  dn: string;
  sha256: string;
  sha1: string;
  keyAlgorithm: string;
  keySize?: number;
}

export interface OracleVerify {
  exit: number;
  verifies: boolean;
  /** Schemes apksigner reports as verified: v1, v2, v3. */
  verified: string[];
  signers: OracleSigner[];
  errors: string[];
  crashed: boolean;
}

function body(text: string): { exit: number; stdout: string; stderr: string } {
  const exit = Number(/^# exit: (\d+)$/m.exec(text)?.[1] ?? -1);
  const [head, stderr = ''] = text.split(/^# stderr:$/m);
  const stdout = head!.split('\n').filter((l) => !l.startsWith('# ')).join('\n');
  return { exit, stdout, stderr };
}

export function readVerify(apk: string, min: 24 | 1): OracleVerify | undefined {
  const f = join(ORACLE_DIR, `${apk}.min${min}.txt`);
  if (!existsSync(f)) return undefined;
  const { exit, stdout, stderr } = body(readFileSync(f, 'utf8'));
  const verified: string[] = [];
  for (const m of stdout.matchAll(/^Verified using (v\d) scheme \([^)]*\): (true|false)$/gm)) {
    if (m[2] === 'true') verified.push(m[1]!);
  }
  const signers: OracleSigner[] = [];
  for (const m of stdout.matchAll(/^Signer #(\d+) certificate DN: (.*)$/gm)) {
    const n = m[1]!;
    const field = (label: string): string | undefined => new RegExp(`^Signer #${n} ${label}: (.*)$`, 'm').exec(stdout)?.[1];
    const size = field('key size \\(bits\\)');
    signers.push({
      dn: m[2]!,
      sha256: field('certificate SHA-256 digest')!,
      sha1: field('certificate SHA-1 digest')!,
      keyAlgorithm: field('key algorithm')!,
      ...(size === undefined ? {} : { keySize: Number(size) }),
    });
  }
  return {
    exit,
    verifies: /^Verifies$/m.test(stdout),
    verified,
    signers,
    errors: [...`${stdout}\n${stderr}`.matchAll(/^ERROR: (.*)$/gm)].map((m) => m[1]!),
    crashed: /^Exception in thread/m.test(stderr),
  };
}

export interface OracleLineageNode {
  dn: string;
  sha256: string;
  flags: number;
}

// apksig SigningCertificateLineage capability bits, in the order apksigner prints them.
const CAPABILITY_FLAGS: [string, number][] = [
  ['installed data', 1],
  ['shared UID', 2],
  ['permission', 4],
  ['rollback', 8],
  ['auth', 16],
];

/** apksigner lineage output: undefined when the file is missing, null when apksigner found no lineage. */
export function readLineage(apk: string): OracleLineageNode[] | null | undefined {
  const f = join(ORACLE_DIR, `${apk}.lineage.txt`);
  if (!existsSync(f)) return undefined;
  const { exit, stdout, stderr } = body(readFileSync(f, 'utf8'));
  if (exit !== 0) return /does not contain a valid lineage/.test(stderr) ? null : undefined;
  const nodes: OracleLineageNode[] = [];
  const parts = stdout.split(/^(?=Signer #\d+ in lineage certificate DN:)/m).filter((p) => p.startsWith('Signer #'));
  for (const p of parts) {
    let flags = 0;
    for (const [label, bit] of CAPABILITY_FLAGS) {
      if (new RegExp(`^Has ${label} capability\\s*: true$`, 'm').test(p)) flags |= bit;
    }
    nodes.push({
      dn: /certificate DN: (.*)$/m.exec(p)![1]!,
      sha256: /certificate SHA-256 digest: (.*)$/m.exec(p)![1]!,
      flags,
    });
  }
  return nodes;
}

/** entry -> SHA-256 of each certificate openssl lists in that PKCS#7 block, in order. */
export function readOpenssl(apk: string): Map<string, string[]> | undefined {
  const f = join(ORACLE_DIR, `${apk}.openssl.txt`);
  if (!existsSync(f)) return undefined;
  const out = new Map<string, string[]>();
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    const m = /^(META-INF\/\S+) (\d+) ([0-9a-f]{64})$/.exec(line);
    if (!m) continue;
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[3]!]);
  }
  return out;
}

/** apksigner prints DNs with ", " between RDNs (X500Principal.toString); ours are RFC 4514 (","). */
export function normalizeDn(dn: string): string {
  return dn.replace(/, (?=[A-Za-z0-9.]+=)/g, ',');
}

const KEY_ALGORITHMS: Record<string, string> = { RSA: 'rsa', EC: 'ec', DSA: 'dsa' };

/**
 * Differences between our facts and one successful apksigner run: its signers are those of the highest
 * scheme it verified (v3, else v2, else v1); they must be ours for that scheme, in the same order, and every
 * scheme it verified must be one we report as present.
 */
export function compareWithVerify(facts: SigningFacts, oracle: OracleVerify): string[] {
  const problems: string[] = [];
  for (const s of oracle.verified) {
    if (s !== 'v4' && !facts.schemes.includes(s)) problems.push(`apksigner verified ${s}, we do not report it`);
  }
  const top = ['v3', 'v2', 'v1'].find((s) => oracle.verified.includes(s));
  if (!top) return problems;
  const ours = facts.signers.filter((s) => s.scheme === top).map((s) => s.certificates[0]);
  if (ours.length !== oracle.signers.length) {
    problems.push(`${top}: apksigner lists ${oracle.signers.length} signer(s), we list ${ours.length}`);
    return problems;
  }
  oracle.signers.forEach((o, i) => {
    const c = ours[i];
    if (!c) return problems.push(`${top} signer #${i + 1}: no certificate`);
    if (c.certSha256 !== o.sha256) problems.push(`${top} signer #${i + 1}: certificate SHA-256 ${c.certSha256}, apksigner ${o.sha256}`);
    if (c.certSha1 !== o.sha1) problems.push(`${top} signer #${i + 1}: certificate SHA-1 ${c.certSha1}, apksigner ${o.sha1}`);
    const alg = KEY_ALGORITHMS[o.keyAlgorithm] ?? o.keyAlgorithm.toLowerCase();
    if (c.keyAlgorithm !== alg) problems.push(`${top} signer #${i + 1}: key algorithm ${c.keyAlgorithm}, apksigner ${o.keyAlgorithm}`);
    if (o.keySize !== undefined && c.keySize !== o.keySize) problems.push(`${top} signer #${i + 1}: key size ${c.keySize}, apksigner ${o.keySize}`);
    // Only plain DNs compare: Java and RFC 4514 escape special characters differently.
    if (!/[\\"]/.test(o.dn) && c.subject !== normalizeDn(o.dn)) {
      problems.push(`${top} signer #${i + 1}: subject "${c.subject}", apksigner "${o.dn}"`);
    }
    return undefined;
  });
  return problems;
}
