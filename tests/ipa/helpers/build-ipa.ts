// IPAs assembled from parts for tests and the sample: zip (adm-zip), XML/binary plists (the plist
// package), .strings text, and provisioning profiles signed with `openssl cms -sign`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import * as plist from 'plist';
import type { Anomaly } from '../../../src/errors.js';
import { BufferSource } from '../../../src/io/source.js';
import { extractIpaFacts, type IpaFacts } from '../../../src/ipa/ipa.js';
import { DEFAULT_LIMITS } from '../../../src/limits.js';
import { openZip, type ZipArchive } from '../../../src/zip/zip.js';

export type PlistInput = Parameters<typeof plist.build>[0];

/** Test inputs are plain object literals; the plist package's own type is narrower than what it accepts. */
export function xmlPlist(v: unknown): Buffer {
  return Buffer.from(plist.build(v as PlistInput));
}

export function binaryPlist(v: unknown): Buffer {
  return Buffer.from(plist.buildBinary(v as PlistInput));
}

/** .strings text: `"key" = "value";` lines, UTF-16LE with a BOM (Xcode's classic encoding) or UTF-8. */
export function stringsText(table: Record<string, string>, encoding: 'utf16' | 'utf8' = 'utf16'): Buffer {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const text = '/* Localized versions of Info.plist keys */\n\n' + Object.entries(table).map(([k, v]) => `"${esc(k)}" = "${esc(v)}";\n`).join('');
  return encoding === 'utf8' ? Buffer.from(text) : Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

export function buildZip(files: Record<string, Buffer | string>): Buffer {
  const zip = new AdmZip();
  for (const [name, data] of Object.entries(files)) zip.addFile(name, typeof data === 'string' ? Buffer.from(data) : data);
  return zip.toBuffer();
}

export function openBuilt(buf: Buffer): ZipArchive {
  return openZip(new BufferSource(buf), DEFAULT_LIMITS);
}

export function scanBuilt(buf: Buffer): { facts: IpaFacts; anomalies: Anomaly[] } {
  const zip = openBuilt(buf);
  const anomalies: Anomaly[] = [...zip.anomalies];
  return { facts: extractIpaFacts(zip, { limits: DEFAULT_LIMITS, anomalies }), anomalies };
}

export function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    try {
      execFileSync(name, ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }
}

export interface Signer {
  certDer: Buffer;
  sign(content: Buffer, opts?: { stream?: boolean }): Buffer;
  dispose(): void;
}

/** A throwaway P-256 key and self-signed certificate with the given subject CN, used with openssl cms. */
export function makeSigner(cn: string): Signer {
  const dir = mkdtempSync(join(tmpdir(), 'eduscan-cms-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
    '-days', '30', '-subj', `/CN=${cn}/OU=ABCDE12345/O=Eduscan Test/C=CN`], { stdio: 'ignore' });
  const certDer = execFileSync('openssl', ['x509', '-in', cert, '-outform', 'DER']);
  return {
    certDer,
    sign(content, opts = {}) {
      const input = join(dir, 'content.plist');
      const out = join(dir, 'profile.der');
      writeFileSync(input, content);
      // -stream makes openssl write BER with indefinite lengths and a chunked OCTET STRING.
      execFileSync('openssl', ['cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-in', input, '-signer', cert, '-inkey', key, '-out', out,
        ...(opts.stream ? ['-stream'] : [])], { stdio: 'ignore' });
      return readFileSync(out);
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
