// resources.arsc reader. Parsing only indexes the table: the global string pool, each package's type and
// key name pools, and for every ResTable_type chunk its type id, configuration and where its offsets
// array lies. An entry is decoded only when resolve() or nameOf() asks for it, so a 10 MB table with
// 100k entries costs one walk over its chunk headers. Sparse (FLAG_SPARSE), 16-bit offset (FLAG_OFFSET16)
// and compact entries (FLAG_COMPACT) are handled; bags (complex entries) are found but have no value.
// References: LoadedArsc.cpp / ResourceTypes.h in frameworks/base/libs/androidfw.
import { EduscanError, type Anomaly } from '../errors.js';
import type { Limits } from '../limits.js';
import {
  AnomalyNotes,
  CHUNK_HEADER_SIZE,
  chunkProblem,
  hex,
  NO_INDEX,
  readChunkHeader,
  RES_NULL_TYPE,
  RES_STRING_POOL_TYPE,
  RES_TABLE_LIBRARY_TYPE,
  RES_TABLE_PACKAGE_TYPE,
  RES_TABLE_TYPE,
  RES_TABLE_TYPE_SPEC_TYPE,
  RES_TABLE_TYPE_TYPE,
  type ChunkHeader,
} from './chunk.js';
import { parseStringPool, type StringPool } from './string-pool.js';
import { RES_TYPE, type ResourceResolver, type TypedValue } from './xml-tree.js';

// ResTable_header: ResChunk_header (8) | 8 u32 packageCount
const TABLE_HEADER_SIZE = 12;

// ResTable_package: ResChunk_header (8) | 8 u32 id | 12 char16 name[128] | 268 u32 typeStrings (from chunk)
//   272 u32 lastPublicType | 276 u32 keyStrings (from chunk) | 280 u32 lastPublicKey | 284 u32 typeIdOffset
const PACKAGE_ID = 8;
const PACKAGE_NAME = 12;
const PACKAGE_NAME_UNITS = 128;
const PACKAGE_TYPE_STRINGS = 268;
const PACKAGE_KEY_STRINGS = 276;
const PACKAGE_TYPE_ID_OFFSET = 284;
/** Header size before typeIdOffset was added (Android L); LoadedArsc accepts it. */
const PACKAGE_MIN_HEADER_SIZE = 284;

// ResTable_type: ResChunk_header (8) | 8 u8 id | 9 u8 flags | 10 u16 reserved | 12 u32 entryCount
//   16 u32 entriesStart (from chunk) | 20 ResTable_config (its own u32 size first)
// followed, at headerSize, by the entry offsets: u32[entryCount] (NO_INDEX = none), or u16[entryCount]
// holding offset/4 with FLAG_OFFSET16 (0xffff = none), or with FLAG_SPARSE u32[entryCount] sorted pairs
// { u16 entry index, u16 offset/4 }. Offsets are from entriesStart.
const TYPE_ID = 8;
const TYPE_FLAGS = 9;
const TYPE_ENTRY_COUNT = 12;
const TYPE_ENTRIES_START = 16;
const TYPE_CONFIG = 20;
const TYPE_MIN_HEADER_SIZE = TYPE_CONFIG + 4;
const FLAG_SPARSE = 0x01;
const FLAG_OFFSET16 = 0x02;
const NO_ENTRY_16 = 0xffff;

// ResTable_config. Locale selection needs language, country, script and variant; density and sdkVersion
// are reported by variants(); every other non-zero field only counts as "another qualifier".
//   0 u32 size | 4 u16 mcc | 6 u16 mnc | 8 char language[2] | 10 char country[2] | 12 u8 orientation
//  13 u8 touchscreen | 14 u16 density | 16 u8 keyboard | 17 u8 navigation | 18 u8 inputFlags
//  19 u8 grammaticalInflection | 20 u16 screenWidth | 22 u16 screenHeight | 24 u16 sdkVersion
//  26 u16 minorVersion | 28 u8 screenLayout | 29 u8 uiMode | 30 u16 smallestScreenWidthDp
//  32 u16 screenWidthDp | 34 u16 screenHeightDp | 36 char localeScript[4] | 40 char localeVariant[8]
//  48 u8 screenLayout2 | 49 u8 colorMode | 50 u16 screenConfigPad2 | 52 u8 localeScriptWasComputed
//  53 char localeNumberingSystem[8]
const CONFIG_LANGUAGE = 8;
const CONFIG_COUNTRY = 10;
const CONFIG_DENSITY = 14;
const CONFIG_SDK_VERSION = 24;
const CONFIG_SCRIPT = 36;
const CONFIG_VARIANT = 40;
const CONFIG_VARIANT_END = 48;
const CONFIG_SCRIPT_WAS_COMPUTED = 52;
/** [offset, size] of the non-locale qualifier fields. */
const CONFIG_QUALIFIER_FIELDS: readonly (readonly [number, 1 | 2])[] = [
  [4, 2], [6, 2], [12, 1], [13, 1], [14, 2], [16, 1], [17, 1], [18, 1], [19, 1], [20, 2], [22, 2], [24, 2],
  [26, 2], [28, 1], [29, 1], [30, 2], [32, 2], [34, 2], [48, 1], [49, 1], [50, 2],
];
const PACKED_LOCALE_BIT = 0x80;

// ResTable_entry: 0 u16 size | 2 u16 flags | 4 u32 key (index into the key pool); a Res_value
// (0 u16 size | 2 u8 res0 | 3 u8 dataType | 4 u32 data) follows at `size` unless FLAG_COMPLEX.
// Compact form (FLAG_COMPACT): 0 u16 key | 2 u16 flags, dataType in the high byte | 4 u32 data.
const ENTRY_MIN_SIZE = 8;
const ENTRY_FLAGS = 2;
const ENTRY_KEY = 4;
const ENTRY_FLAG_COMPLEX = 0x0001;
const ENTRY_FLAG_COMPACT = 0x0008;
const VALUE_SIZE = 8;
const VALUE_TYPE = 3;
const VALUE_DATA = 4;

/** Reference hops resolve() follows before giving up (Android's own limit is similar). */
const MAX_REFERENCE_HOPS = 8;

export interface ResourceTable extends ResourceResolver {
  packages: { id: number; name: string }[];
  /** Every configuration's value of `id` in file order, references not followed (diagnostics, icons). */
  variants(id: number): ResourceVariant[];
}

export interface ArscOptions {
  /** Accepted for symmetry with the other parsers: work is bounded by the table's own size. */
  limits?: Limits;
  anomalies?: Anomaly[];
  /** Zip entry name stamped on the anomalies (normally 'resources.arsc'). */
  entry?: string;
}

interface TypeChunk {
  offset: number;
  end: number;
  flags: number;
  /** Offsets usable (declared count capped by the bytes of the offsets array). */
  entryCount: number;
  offsetsStart: number;
  entriesStart: number;
  config: ConfigInfo;
}

/** What resolve() and variants() know about a ResTable_config. */
export interface ConfigInfo {
  /** BCP 47-style locale: 'zh-CN', 'zh-Hans', 'zh-Hant-TW', 'es-419'; '' for none. */
  locale: string;
  /** Density in dpi (0 = any, 0xfffe = anydpi, 0xffff = nodpi). */
  density: number;
  /** The -vNN qualifier, 0 when absent. */
  sdkVersion: number;
  /** Non-zero qualifier fields other than the locale (density and sdkVersion included). */
  otherQualifiers: number;
}

/** One configuration's value of a resource, as stored (references not followed). */
export interface ResourceVariant {
  config: ConfigInfo;
  /** Undefined for a bag (complex entry: style, array, plurals...). */
  value: TypedValue | undefined;
}

interface Package {
  id: number;
  name: string;
  typeStrings: StringPool | undefined;
  keyStrings: StringPool | undefined;
  typeIdOffset: number;
  /** Type id -> its ResTable_type chunks in file order. */
  types: Map<number, TypeChunk[]>;
}

interface Entry {
  key: number;
  /** Undefined for a bag (complex entry). */
  value: TypedValue | undefined;
}

function bad(message: string, offset?: number): EduscanError {
  return new EduscanError('E_BAD_ARSC', message, offset === undefined ? {} : { offset });
}

/** Indexes resources.arsc; see the module comment. Throws E_BAD_ARSC only when no table can be found. */
export function parseArsc(buf: Buffer, opts: ArscOptions = {}): ResourceTable {
  const notes = new AnomalyNotes(opts.anomalies ?? [], 'ARSC', opts.entry);
  if (buf.length < TABLE_HEADER_SIZE) throw bad(`resources.arsc: expected at least ${TABLE_HEADER_SIZE} bytes, found ${buf.length}`);
  const head = readChunkHeader(buf, 0, buf.length)!;
  if (head.type !== RES_TABLE_TYPE) {
    if (head.type !== RES_NULL_TYPE) throw bad(`resources.arsc: expected chunk type ${hex(RES_TABLE_TYPE)}, found ${hex(head.type)} at offset 0`, 0);
    notes.add('ARSC_HEADER_TYPE', `table header type is ${hex(head.type)}, expected ${hex(RES_TABLE_TYPE)}`, 0);
  }
  let end = head.size;
  if (end > buf.length || end < TABLE_HEADER_SIZE) {
    notes.add('ARSC_TABLE_SIZE', `table header claims ${head.size} bytes, the file has ${buf.length}`, 0);
    end = buf.length;
  } else if (end < buf.length) {
    notes.add('ARSC_TRAILING_BYTES', `${buf.length - end} bytes after the end of the table`, end);
  }
  let start = head.headerSize;
  if (start < TABLE_HEADER_SIZE || start >= end) {
    notes.add('ARSC_HEADER_SIZE', `table header size ${head.headerSize} is unusable; assuming ${TABLE_HEADER_SIZE}`, 0);
    start = TABLE_HEADER_SIZE;
  }
  const table = buf.subarray(0, end);

  let globalStrings: StringPool | undefined;
  const packages: Package[] = [];
  for (let p = start; p + CHUNK_HEADER_SIZE <= end; ) {
    const c = readChunkHeader(table, p, end)!;
    const problem = chunkProblem(c, CHUNK_HEADER_SIZE, end);
    if (problem) {
      notes.add('ARSC_BAD_CHUNK', `${problem}; the rest of the table is ignored`, p);
      break;
    }
    if (c.type === RES_STRING_POOL_TYPE) {
      if (globalStrings === undefined) globalStrings = parseStringPool(table, c, 'E_BAD_ARSC', notes);
      else notes.add('ARSC_SECOND_STRING_POOL', 'more than one global string pool; the first one is used', p);
    } else if (c.type === RES_TABLE_PACKAGE_TYPE) {
      const pkg = indexPackage(table, c, notes);
      if (pkg) packages.push(pkg);
    } else {
      notes.add('ARSC_UNKNOWN_CHUNK', `skipped a chunk of type ${hex(c.type)} (${c.size} bytes)`, p);
    }
    p += c.size;
  }
  if (globalStrings === undefined) throw bad('resources.arsc: no global string pool', start);
  if (packages.length === 0) notes.add('ARSC_NO_PACKAGE', 'the table has no package');
  return new Table(table, globalStrings, packages);
}

function indexPackage(buf: Buffer, c: ChunkHeader, notes: AnomalyNotes): Package | undefined {
  if (c.headerSize < PACKAGE_MIN_HEADER_SIZE) {
    notes.add('ARSC_BAD_PACKAGE', `package header is ${c.headerSize} bytes, needs ${PACKAGE_MIN_HEADER_SIZE}; package skipped`, c.offset);
    return undefined;
  }
  const end = c.offset + c.size;
  const pkg: Package = {
    id: buf.readUInt32LE(c.offset + PACKAGE_ID),
    name: readName(buf, c.offset + PACKAGE_NAME),
    typeStrings: undefined,
    keyStrings: undefined,
    typeIdOffset: c.headerSize >= PACKAGE_TYPE_ID_OFFSET + 4 ? buf.readUInt32LE(c.offset + PACKAGE_TYPE_ID_OFFSET) : 0,
    types: new Map(),
  };
  const typeStringsAt = c.offset + buf.readUInt32LE(c.offset + PACKAGE_TYPE_STRINGS);
  const keyStringsAt = c.offset + buf.readUInt32LE(c.offset + PACKAGE_KEY_STRINGS);
  const strayPools: StringPool[] = [];
  for (let p = c.offset + c.headerSize; p + CHUNK_HEADER_SIZE <= end; ) {
    const child = readChunkHeader(buf, p, end)!;
    const problem = chunkProblem(child, CHUNK_HEADER_SIZE, end);
    if (problem) {
      notes.add('ARSC_BAD_CHUNK', `${problem} in package ${hex(pkg.id, 2)}; the rest of the package is ignored`, p);
      break;
    }
    switch (child.type) {
      case RES_STRING_POOL_TYPE: {
        // LoadedArsc tells the two pools apart by the offsets in the package header.
        const pool = parseStringPool(buf, child, 'E_BAD_ARSC', notes);
        if (p === typeStringsAt) pkg.typeStrings = pool;
        else if (p === keyStringsAt) pkg.keyStrings = pool;
        else strayPools.push(pool);
        break;
      }
      case RES_TABLE_TYPE_TYPE:
        indexType(buf, child, pkg, notes);
        break;
      case RES_TABLE_TYPE_SPEC_TYPE:
      case RES_TABLE_LIBRARY_TYPE:
        break;
      default:
        // Overlayable (0x0204/0x0205), staged aliases (0x0206) and anything newer: not needed for lookups.
        if (child.type < RES_TABLE_PACKAGE_TYPE || child.type > 0x02ff) {
          notes.add('ARSC_UNKNOWN_CHUNK', `skipped a chunk of type ${hex(child.type)} (${child.size} bytes) in package ${hex(pkg.id, 2)}`, p);
        }
    }
    p += child.size;
  }
  if (pkg.typeStrings === undefined || pkg.keyStrings === undefined) {
    // Header offsets that point nowhere: fall back to the order aapt writes them in (types, then keys).
    if (strayPools.length > 0) {
      notes.add('ARSC_POOL_OFFSETS', `package ${hex(pkg.id, 2)} header does not point at its name pools; using them in file order`, c.offset);
      pkg.typeStrings ??= strayPools.shift();
      pkg.keyStrings ??= strayPools.shift();
    }
  }
  return pkg;
}

/** ResTable_package.name: UTF-16, NUL-terminated within 128 units. */
function readName(buf: Buffer, at: number): string {
  let n = 0;
  while (n < PACKAGE_NAME_UNITS && buf.readUInt16LE(at + n * 2) !== 0) n++;
  return buf.toString('utf16le', at, at + n * 2);
}

function indexType(buf: Buffer, c: ChunkHeader, pkg: Package, notes: AnomalyNotes): void {
  if (c.headerSize < TYPE_MIN_HEADER_SIZE) {
    notes.add('ARSC_BAD_TYPE', `type chunk header is ${c.headerSize} bytes, needs ${TYPE_MIN_HEADER_SIZE}; skipped`, c.offset);
    return;
  }
  const id = buf[c.offset + TYPE_ID]!;
  const flags = buf[c.offset + TYPE_FLAGS]!;
  const declared = buf.readUInt32LE(c.offset + TYPE_ENTRY_COUNT);
  const entriesStart = c.offset + buf.readUInt32LE(c.offset + TYPE_ENTRIES_START);
  const end = c.offset + c.size;
  const offsetsStart = c.offset + c.headerSize;
  if (id === 0 || entriesStart > end || entriesStart < offsetsStart) {
    notes.add('ARSC_BAD_TYPE', `type chunk (id ${id}) has entries starting outside it; skipped`, c.offset);
    return;
  }
  const unit = flags & FLAG_SPARSE ? 4 : flags & FLAG_OFFSET16 ? 2 : 4;
  const room = Math.floor((entriesStart - offsetsStart) / unit);
  if (declared > room) notes.add('ARSC_ENTRY_COUNT', `type chunk (id ${id}) declares ${declared} entries, room for ${room}`, c.offset);
  const config = readConfig(buf, c.offset + TYPE_CONFIG, offsetsStart);
  const chunk: TypeChunk = { offset: c.offset, end, flags, entryCount: Math.min(declared, room), offsetsStart, entriesStart, config };
  const list = pkg.types.get(id);
  if (list) list.push(chunk);
  else pkg.types.set(id, [chunk]);
}

/** The ResTable_config at `at`, reading no further than `limit` (missing fields read as 0, as in Android). */
function readConfig(buf: Buffer, at: number, limit: number): ConfigInfo {
  const size = Math.min(buf.readUInt32LE(at), limit - at);
  const byte = (i: number): number => (i < size ? buf[at + i]! : 0);
  const u16 = (i: number): number => byte(i) | (byte(i + 1) << 8);
  const chars = (from: number, to: number): string => {
    let s = '';
    for (let i = from; i < to && byte(i) !== 0; i++) s += String.fromCharCode(byte(i));
    return s;
  };
  const language = unpackCode(byte(CONFIG_LANGUAGE), byte(CONFIG_LANGUAGE + 1), 0x61 /* 'a' */);
  const region = unpackCode(byte(CONFIG_COUNTRY), byte(CONFIG_COUNTRY + 1), 0x30 /* '0' */);
  // A script the runtime computed is not part of the resource's qualifiers (ResTable_config::compareLocales).
  const script = byte(CONFIG_SCRIPT_WAS_COMPUTED) ? '' : chars(CONFIG_SCRIPT, CONFIG_SCRIPT + 4);
  const variant = chars(CONFIG_VARIANT, CONFIG_VARIANT_END);
  let otherQualifiers = 0;
  for (const [offset, width] of CONFIG_QUALIFIER_FIELDS) {
    if ((width === 1 ? byte(offset) : u16(offset)) !== 0) otherQualifiers++;
  }
  return {
    locale: [language, script, region, variant].filter((s) => s !== '').join('-'),
    density: u16(CONFIG_DENSITY),
    sdkVersion: u16(CONFIG_SDK_VERSION),
    otherQualifiers,
  };
}

/** unpackLanguageOrRegion: two ASCII letters, or three 5-bit letters packed into two bytes (high bit set). */
function unpackCode(b0: number, b1: number, base: number): string {
  if (b0 & PACKED_LOCALE_BIT) {
    const first = b1 & 0x1f;
    const second = ((b1 & 0xe0) >> 5) | ((b0 & 0x03) << 3);
    const third = (b0 & 0x7c) >> 2;
    return String.fromCharCode(first + base, second + base, third + base);
  }
  if (b0 === 0) return '';
  return b1 === 0 ? String.fromCharCode(b0) : String.fromCharCode(b0, b1);
}

class Table implements ResourceTable {
  readonly packages: { id: number; name: string }[];

  constructor(
    private readonly buf: Buffer,
    private readonly globalStrings: StringPool,
    private readonly pkgs: Package[],
  ) {
    this.packages = pkgs.map((p) => ({ id: p.id, name: p.name }));
  }

  resolve(id: number, locales: readonly string[] = ['']): TypedValue | undefined {
    const seen = new Set<number>();
    let current = id >>> 0;
    let fromPackage: Package | undefined;
    for (let hop = 0; hop <= MAX_REFERENCE_HOPS; hop++) {
      if (seen.has(current)) return undefined;
      seen.add(current);
      const pkg = this.packageOf(current, fromPackage);
      if (!pkg) return undefined;
      const entry = this.best(pkg, current, locales);
      if (!entry || !entry.value) return undefined;
      const v = entry.value;
      if ((v.type === RES_TYPE.REFERENCE || v.type === RES_TYPE.DYNAMIC_REFERENCE) && v.data !== 0) {
        current = v.data >>> 0;
        fromPackage = pkg;
        continue;
      }
      return v;
    }
    return undefined;
  }

  nameOf(id: number): string | undefined {
    id >>>= 0;
    const pkg = this.packageOf(id, undefined);
    if (!pkg) return undefined;
    const typeId = (id >>> 16) & 0xff;
    const typeName = pkg.typeStrings?.get(typeId - 1 - pkg.typeIdOffset);
    if (typeName === undefined) return undefined;
    for (const chunk of pkg.types.get(typeId) ?? []) {
      const entry = this.entryIn(chunk, id & 0xffff);
      if (entry) {
        const key = pkg.keyStrings?.get(entry.key);
        return key === undefined ? undefined : `${typeName}/${key}`;
      }
    }
    return undefined;
  }

  variants(id: number): ResourceVariant[] {
    id >>>= 0;
    const pkg = this.packageOf(id, undefined);
    const out: ResourceVariant[] = [];
    for (const chunk of pkg?.types.get((id >>> 16) & 0xff) ?? []) {
      const entry = this.entryIn(chunk, id & 0xffff);
      if (entry) out.push({ config: { ...chunk.config }, value: entry.value && { ...entry.value } });
    }
    return out;
  }

  /** The package for `id`; package id 0 (a shared library's own, dynamic id) means the referring package. */
  private packageOf(id: number, from: Package | undefined): Package | undefined {
    const pid = id >>> 24;
    const hit = this.pkgs.find((p) => p.id === pid);
    if (hit || pid !== 0) return hit;
    return from ?? (this.pkgs.length === 1 ? this.pkgs[0] : undefined);
  }

  /**
   * The entry for `id` in the best configuration: the first locale of `locales` that has one (the default
   * configuration '' is always tried last), and within a locale the configuration with the fewest other
   * qualifiers (so `values/` beats `values-v21/`), earliest chunk first on ties.
   */
  private best(pkg: Package, id: number, locales: readonly string[]): Entry | undefined {
    const chunks = pkg.types.get((id >>> 16) & 0xff);
    if (!chunks) return undefined;
    const index = id & 0xffff;
    const wanted = locales.includes('') ? locales : [...locales, ''];
    for (const locale of wanted) {
      const l = locale.toLowerCase();
      let bestEntry: Entry | undefined;
      let bestScore = Infinity;
      for (const chunk of chunks) {
        if (chunk.config.locale.toLowerCase() !== l || chunk.config.otherQualifiers >= bestScore) continue;
        const entry = this.entryIn(chunk, index);
        if (entry) {
          bestEntry = entry;
          bestScore = chunk.config.otherQualifiers;
        }
      }
      if (bestEntry) return bestEntry;
    }
    return undefined;
  }

  /** Entry `index` of a type chunk, or undefined when the chunk has none (or it lies out of bounds). */
  private entryIn(chunk: TypeChunk, index: number): Entry | undefined {
    const buf = this.buf;
    let offset: number | undefined;
    if (chunk.flags & FLAG_SPARSE) {
      // Sorted by entry index: binary search.
      let lo = 0;
      let hi = chunk.entryCount - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const at = chunk.offsetsStart + mid * 4;
        const idx = buf.readUInt16LE(at);
        if (idx === index) {
          offset = buf.readUInt16LE(at + 2) * 4;
          break;
        }
        if (idx < index) lo = mid + 1;
        else hi = mid - 1;
      }
    } else if (index < chunk.entryCount) {
      if (chunk.flags & FLAG_OFFSET16) {
        const v = buf.readUInt16LE(chunk.offsetsStart + index * 2);
        if (v !== NO_ENTRY_16) offset = v * 4;
      } else {
        const v = buf.readUInt32LE(chunk.offsetsStart + index * 4);
        if (v !== NO_INDEX) offset = v;
      }
    }
    if (offset === undefined) return undefined;
    const at = chunk.entriesStart + offset;
    if (at + ENTRY_MIN_SIZE > chunk.end) return undefined;
    const flags = buf.readUInt16LE(at + ENTRY_FLAGS);
    if (flags & ENTRY_FLAG_COMPACT) {
      return { key: buf.readUInt16LE(at), value: this.value(flags >>> 8, buf.readUInt32LE(at + VALUE_DATA)) };
    }
    const size = buf.readUInt16LE(at);
    const key = buf.readUInt32LE(at + ENTRY_KEY);
    if (size < ENTRY_MIN_SIZE) return undefined;
    if (flags & ENTRY_FLAG_COMPLEX) return { key, value: undefined };
    const v = at + size;
    if (v + VALUE_SIZE > chunk.end) return undefined;
    return { key, value: this.value(buf[v + VALUE_TYPE]!, buf.readUInt32LE(v + VALUE_DATA)) };
  }

  private value(type: number, data: number): TypedValue {
    const v: TypedValue = { type, data };
    if (type === RES_TYPE.STRING) {
      const s = this.globalStrings.get(data);
      if (s !== undefined) v.string = s;
    }
    return v;
  }
}
