// Writes a large, valid resources.arsc for the performance test: one package, one "string" type with
// `entries` entries in `configs` configurations (the first the default one, then two-letter locales),
// dense u32 offsets, UTF-8 pools. Also used for small tables with hand-placed references. Layouts as in ResourceTypes.h (see src/apk/arsc.ts).

function chunk(type: number, headerSize: number, header: Buffer, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(type, 0);
  h.writeUInt16LE(headerSize, 2);
  h.writeUInt32LE(8 + header.length + body.length, 4);
  return Buffer.concat([h, header, body]);
}

export function utf8Pool(strings: string[]): Buffer {
  const offsets = Buffer.alloc(strings.length * 4);
  const parts: Buffer[] = [];
  let at = 0;
  strings.forEach((s, i) => {
    const bytes = Buffer.from(s, 'utf8');
    if (s.length > 127 || bytes.length > 127) throw new Error('short strings only');
    offsets.writeUInt32LE(at, i * 4);
    const b = Buffer.concat([Buffer.from([s.length, bytes.length]), bytes, Buffer.from([0])]);
    parts.push(b);
    at += b.length;
  });
  let data = Buffer.concat(parts);
  if (data.length % 4) data = Buffer.concat([data, Buffer.alloc(4 - (data.length % 4))]);
  const header = Buffer.alloc(20);
  header.writeUInt32LE(strings.length, 0);
  header.writeUInt32LE(0, 4);
  header.writeUInt32LE(0x100, 8); // UTF8_FLAG
  header.writeUInt32LE(28 + offsets.length, 12);
  header.writeUInt32LE(0, 16);
  return chunk(0x0001, 28, header, Buffer.concat([offsets, data]));
}

export const localeOf = (config: number): string =>
  config === 0 ? '' : String.fromCharCode(97 + Math.floor(config / 26), 97 + (config % 26));

/** The global string index of entry `entry` in configuration `config`. */
export const stringIndexOf = (config: number, entry: number, entries: number, strings: number): number =>
  (config * entries + entry * 7) % strings;

export function buildLargeArsc(
  entries: number,
  configs: number,
  strings: number,
  /** Overrides an entry's Res_value (default: a string from the global pool, see stringIndexOf). */
  valueOf?: (config: number, entry: number) => { type: number; data: number } | undefined,
): Buffer {
  const global = utf8Pool(Array.from({ length: strings }, (_, i) => `s${i}`));
  const typePool = utf8Pool(['string']);
  const keyPool = utf8Pool(Array.from({ length: entries }, (_, i) => `k${i}`));
  const CONFIG_SIZE = 64;
  const TYPE_HEADER = 20 + CONFIG_SIZE;
  const types: Buffer[] = [];
  const spec = Buffer.alloc(8);
  spec[0] = 1;
  spec.writeUInt32LE(entries, 4);
  types.push(chunk(0x0202, 16, spec, Buffer.alloc(entries * 4)));
  for (let c = 0; c < configs; c++) {
    const header = Buffer.alloc(TYPE_HEADER - 8);
    header[0] = 1; // type id
    header.writeUInt32LE(entries, 4);
    header.writeUInt32LE(TYPE_HEADER + entries * 4, 8); // entriesStart
    header.writeUInt32LE(CONFIG_SIZE, 12);
    const locale = localeOf(c);
    if (locale) header.write(locale, 12 + 8, 'latin1');
    const offsets = Buffer.alloc(entries * 4);
    const data = Buffer.alloc(entries * 16);
    for (let i = 0; i < entries; i++) {
      offsets.writeUInt32LE(i * 16, i * 4);
      data.writeUInt16LE(8, i * 16); // entry size
      data.writeUInt32LE(i, i * 16 + 4); // key
      data.writeUInt16LE(8, i * 16 + 8); // value size
      const v = valueOf?.(c, i) ?? { type: 0x03, data: stringIndexOf(c, i, entries, strings) };
      data[i * 16 + 11] = v.type;
      data.writeUInt32LE(v.data >>> 0, i * 16 + 12);
    }
    types.push(chunk(0x0201, TYPE_HEADER, header, Buffer.concat([offsets, data])));
  }
  const PACKAGE_HEADER = 288;
  const pkgHeader = Buffer.alloc(PACKAGE_HEADER - 8);
  pkgHeader.writeUInt32LE(0x7f, 0);
  pkgHeader.write('org.eduscan.perf', 4, 'utf16le');
  pkgHeader.writeUInt32LE(PACKAGE_HEADER, 260); // typeStrings
  pkgHeader.writeUInt32LE(PACKAGE_HEADER + typePool.length, 268); // keyStrings
  const pkg = chunk(0x0200, PACKAGE_HEADER, pkgHeader, Buffer.concat([typePool, keyPool, ...types]));
  const tableHeader = Buffer.alloc(4);
  tableHeader.writeUInt32LE(1, 0);
  return chunk(0x0002, 12, tableHeader, Buffer.concat([global, pkg]));
}
