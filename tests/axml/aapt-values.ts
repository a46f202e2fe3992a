// Reads `aapt dump --values resources <apk>` output (Debian's aapt) into per-resource, per-configuration
// values, so eduscan's resources.arsc reader can be compared entry by entry.
//
// Output shape (frameworks/base/libs/androidfw/ResourceTypes.cpp, ResTable::print):
//       config <qualifiers>[ flags=0x..][ [sparse]]:
//         resource 0x7f010000 pkg:type/name: t=0x03 d=0x00000000 (s=0x0008 r=0x00)[ (PUBLIC)]
//           (string8) "value"              <- strings only, through normalizeForOutput
//         resource 0x7f0c0000 pkg:style/Name: <bag>
//         INVALID RESOURCE 0x7f010000: t=0x03 d=0x00000000 (s=0x0000 r=0x08)
// This aapt predates two Android 14 encodings, so its output is only an oracle where it could read the table:
// - FLAG_OFFSET16 type chunks (printed as "config X flags=0x02:"): it reads the u16 offsets as u32, so
//   every value in such a chunk is unreliable (`trusted: false`).
// - compact entries (entry flag 0x08): it takes the u16 key for the entry size and reads the Res_value
//   that far into the entry. With key 0 it reports "INVALID RESOURCE ... (s=0x0000 r=0x08)" yet prints
//   the right t=/d=, because a compact entry keeps the data type and data exactly where a Res_value does
//   (kept, `compact: true`, name unknown); with a larger key it reads other bytes, so once a config block
//   shows any sign of that (an INVALID line, "NON-INTEGER ResTable_entry SIZE", or r=0x08, a compact
//   entry's flags seen where Res_value.res0 should be 0) no other line of that block is trusted.

export interface AaptConfig {
  /** aapt's qualifier string: "(default)", "zh-rCN", "b+sr+Latn", "hdpi-v4", "v26"... */
  name: string;
  /** ResTable_type flags (0x01 sparse, 0x02 offset16). */
  flags: number;
  /** Parsed when it has only a locale, a density and an sdk version; undefined otherwise. */
  parsed?: { locale: string; density: number; sdkVersion: number; qualifiers: number };
}

export interface AaptValue {
  id: number;
  config: AaptConfig;
  /** "type/name" as aapt printed it (not for compact entries). */
  name?: string;
  bag: boolean;
  type?: number;
  data?: number;
  /** The printed string, still escaped by normalizeForOutput. */
  string?: string;
  compact: boolean;
  /** False where this aapt cannot read the encoding (see above): compare nothing. */
  trusted: boolean;
}

const OFFSET16 = 0x02;
const DENSITIES: Record<string, number> = {
  ldpi: 120, mdpi: 160, tvdpi: 213, hdpi: 240, xhdpi: 320, xxhdpi: 480, xxxhdpi: 640, anydpi: 0xfffe, nodpi: 0xffff,
};
/** Qualifiers that look like a 2-3 letter language but are not one (uiMode "car"). */
const NOT_LANGUAGES = new Set(['car']);

export function parseAaptConfigName(name: string): AaptConfig['parsed'] {
  if (name === '(default)') return { locale: '', density: 0, sdkVersion: 0, qualifiers: 0 };
  const parts = name.split('-');
  let i = 0;
  let locale = '';
  const first = parts[0]!;
  if (first.startsWith('b+')) {
    const [, lang, ...subtags] = first.split('+');
    locale = [lang, ...subtags].join('-');
    i = 1;
  } else if (/^[a-z]{2,3}$/.test(first) && !NOT_LANGUAGES.has(first)) {
    locale = first;
    i = 1;
    const r = /^r([A-Z]{2}|[0-9]{3})$/.exec(parts[1] ?? '');
    if (r) {
      locale += `-${r[1]}`;
      i = 2;
    }
  }
  let density = 0;
  let sdkVersion = 0;
  let qualifiers = 0;
  const d = parts[i] ?? '';
  if (DENSITIES[d] !== undefined || /^\d+dpi$/.test(d)) {
    density = DENSITIES[d] ?? Number(d.slice(0, -3));
    qualifiers++;
    i++;
  }
  const v = /^v(\d+)$/.exec(parts[i] ?? '');
  if (v) {
    sdkVersion = Number(v[1]);
    qualifiers++;
    i++;
  }
  return i === parts.length ? { locale, density, sdkVersion, qualifiers } : undefined;
}

export function parseAaptValues(text: string): AaptValue[] {
  const out: AaptValue[] = [];
  let config: AaptConfig | undefined;
  let last: AaptValue | undefined;
  let block: AaptValue[] = [];
  let damaged = false;
  const endBlock = (): void => {
    if (damaged) for (const v of block) if (!v.compact) v.trusted = false;
    block = [];
    damaged = false;
  };
  for (const line of text.split('\n')) {
    if (/INVALID|NON-INTEGER| r=0x08\)/.test(line)) damaged = true;
    const c = /^ +config (\S+?)(?: flags=0x([0-9a-f]+))?(?: \[sparse\])?:?$/.exec(line);
    if (c) {
      endBlock();
      config = { name: c[1]!, flags: parseInt(c[2] ?? '0', 16) };
      const parsed = parseAaptConfigName(c[1]!);
      if (parsed) config.parsed = parsed;
      last = undefined;
      continue;
    }
    if (!config) continue;
    const r = /^ +resource 0x([0-9a-f]+) [^:]+:([^:]+): (.*)$/.exec(line);
    if (r) {
      const id = parseInt(r[1]!, 16);
      const rest = r[3]!;
      const tv = /^t=0x([0-9a-f]+) d=0x([0-9a-f]+) \(s=0x[0-9a-f]+ r=0x([0-9a-f]+)\)/.exec(rest);
      const trusted = (config.flags & OFFSET16) === 0;
      if (rest.startsWith('<bag>')) last = { id, config, name: r[2]!, bag: true, compact: false, trusted };
      else if (tv) {
        const type = parseInt(tv[1]!, 16);
        const data = parseInt(tv[2]!, 16);
        last = { id, config, name: r[2]!, bag: false, type, data, compact: false, trusted: trusted && tv[3] !== '08' };
      }
      else last = undefined; // "NON-INTEGER ResTable_entry SIZE" and other refusals
      if (last) out.push(last), block.push(last);
      continue;
    }
    const inv = /^ +INVALID RESOURCE 0x([0-9a-f]+): t=0x([0-9a-f]+) d=0x([0-9a-f]+) \(s=0x0000 r=0x08\)$/.exec(line);
    if (inv) {
      const trusted = (config.flags & OFFSET16) === 0;
      last = { id: parseInt(inv[1]!, 16), config, bag: false, type: parseInt(inv[2]!, 16), data: parseInt(inv[3]!, 16), compact: true, trusted };
      out.push(last), block.push(last);
      continue;
    }
    const s = /^ +\(string(?:8|16)\) "(.*)"$/.exec(line);
    if (s && last && last.type === 0x03) last.string = s[1]!;
    else if (!/^ +\(/.test(line)) last = undefined;
  }
  endBlock();
  return out;
}

/** Minimal view of the reader under test, so this module does not depend on its internals. */
export interface VariantSource {
  packages: { id: number }[];
  nameOf(id: number): string | undefined;
  variants(id: number): { config: { locale: string; density: number; sdkVersion: number; otherQualifiers: number }; value?: { type: number; data: number; string?: string } | undefined }[];
}

/**
 * Compares every trusted aapt value whose configuration could be parsed with the reader's variant for the
 * same configuration, and every aapt resource name with nameOf(). aapt numbers a shared library's own
 * package (id 0x00 in the file) 0x02, the first id it hands out after the framework's 0x01.
 */
export function compareWithAapt(
  table: VariantSource,
  values: AaptValue[],
  normalize: (s: string) => string,
): { values: number; names: number; mismatches: string[] } {
  const library = table.packages.some((p) => p.id === 0) && !table.packages.some((p) => p.id === 2);
  const idOf = (id: number): number => (library && id >>> 24 === 2 ? id & 0xffffff : id);
  const mismatches: string[] = [];
  const named = new Set<number>();
  let checked = 0;
  for (const v of values) {
    const id = idOf(v.id);
    if (v.name && !v.compact && v.trusted && !named.has(id)) {
      named.add(id);
      const ours = table.nameOf(id);
      if (ours !== v.name) mismatches.push(`0x${id.toString(16)} name: eduscan ${ours}, aapt ${v.name}`);
    }
    const want = v.config.parsed;
    if (!want || !v.trusted) continue;
    checked++;
    const same = table
      .variants(id)
      .filter(
        (x) =>
          x.config.locale.toLowerCase() === want.locale.toLowerCase() &&
          x.config.density === want.density &&
          x.config.sdkVersion === want.sdkVersion &&
          x.config.otherQualifiers === want.qualifiers,
      );
    const ok = same.some((x) =>
      v.bag
        ? x.value === undefined
        : x.value !== undefined &&
          x.value.type === v.type &&
          x.value.data >>> 0 === v.data &&
          (v.string === undefined || (x.value.string !== undefined && normalize(x.value.string) === v.string)),
    );
    if (!ok) {
      const aapt = v.bag ? '<bag>' : `t=0x${v.type!.toString(16)} d=0x${v.data!.toString(16)}${v.string === undefined ? '' : ` "${v.string}"`}`;
      mismatches.push(`0x${id.toString(16)} [${v.config.name}]: eduscan ${JSON.stringify(same.map((x) => x.value ?? '<bag>'))}, aapt ${aapt}`);
    }
  }
  return { values: checked, names: named.size, mismatches };
}
