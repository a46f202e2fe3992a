// Mach-O images with Objective-C metadata, built byte by byte for the class-list reader's tests: __TEXT
// (__objc_classname, __objc_methname, __cstring with Swift class names), __DATA_CONST (__objc_classlist),
// __DATA (__objc_const: class_ro_t and method lists; __objc_selrefs; __objc_data: class_t), __LINKEDIT
// (optional LC_DYLD_CHAINED_FIXUPS blob, symbol and string tables). Pointers are plain addresses, or chained
// rebases in one of three formats. Laid out as <mach-o/loader.h>, <objc/runtime> and <mach-o/fixup-chains.h>
// describe; llvm-objdump --objc-meta-data reads the plain ones (tests/ipa/objc.test.ts).

export type ObjcCpu = 'arm64' | 'arm64e' | 'armv7';
/** plain: addresses; ptr64: DYLD_CHAINED_PTR_64 (addresses); ptr64-offset: _64_OFFSET; arm64e: DYLD_CHAINED_PTR_ARM64E (auth rebases for the class list). */
export type PointerFormat = 'plain' | 'ptr64' | 'ptr64-offset' | 'arm64e';

export interface ObjcSpec {
  cpu: ObjcCpu;
  pointers?: PointerFormat;
  /** Objective-C classes (names in __objc_classname). */
  classes: string[];
  /** Swift classes: mangled _TtC… names in __cstring, class_t.data tagged as Swift (| 2). */
  swiftClasses?: string[];
  /** Selector names (__objc_methname); each class gets the first ones as its methods, all get a selref. */
  selectors: string[];
  /** Other strings of __cstring. */
  strings?: string[];
  imports?: string[];
  /** Defined external symbols besides the _OBJC_CLASS_$_ / _OBJC_METACLASS_$_ ones written for each class. */
  exports?: string[];
  /** Puts a class's class_ro_t in __objc_data right before its class_t, as Swift does for some classes. */
  roInData?: boolean;
  /** Puts __objc_classlist at the end of __DATA, after the classes it lists (no linker does). */
  classListLast?: boolean;
  cryptid?: number;
  fileType?: number;
}

export interface ObjcImage {
  bytes: Buffer;
  /** Class names in class-list order. */
  classes: string[];
  definedSymbols: string[];
}

const CPUS: Record<ObjcCpu, { type: number; subtype: number; is64: boolean }> = {
  arm64: { type: 0x0100000c, subtype: 0, is64: true },
  arm64e: { type: 0x0100000c, subtype: 0x80000002, is64: true },
  armv7: { type: 12, subtype: 9, is64: false },
};
const PAGE = 0x1000;
const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;
const LC_SYMTAB = 0x2;
const LC_DYSYMTAB = 0xb;
const LC_ENCRYPTION_INFO = 0x21;
const LC_ENCRYPTION_INFO_64 = 0x2c;
const LC_DYLD_CHAINED_FIXUPS = 0x80000034;
const LC_LOAD_DYLIB = 0xc;
/** The one library the imports bind to (library ordinal 1). */
const DYLIB = '/usr/lib/libSystem.B.dylib';
const N_EXT = 0x1;
const N_SECT = 0xe;
const RO_META = 0x1;
const FAST_IS_SWIFT_STABLE = 0x2;
const S_CSTRING_LITERALS = 0x2;
const S_LITERAL_POINTERS = 0x5;
const PTR_ARM64E = 1;
const PTR_64 = 2;
const PTR_64_OFFSET = 6;
const PAGE_START_NONE = 0xffff;

const align = (n: number, a: number) => Math.ceil(n / a) * a;

interface Section {
  seg: string;
  name: string;
  data: Buffer;
  align: number;
  flags: number;
  addr: number;
  offset: number;
}

export function buildObjcMachO(spec: ObjcSpec): ObjcImage {
  const cpu = CPUS[spec.cpu];
  const is64 = cpu.is64;
  const P = is64 ? 8 : 4;
  const format: PointerFormat = spec.pointers ?? 'plain';
  if (format !== 'plain' && !is64) throw new Error('chained formats are built for 64-bit images only');
  if (format === 'arm64e' && spec.cpu !== 'arm64e') throw new Error('the arm64e format needs cpu arm64e');
  const BASE = is64 ? 0x100000000 : 0x4000;
  const swift = spec.swiftClasses ?? [];
  const all = [...spec.classes.map((n) => ({ name: n, swift: false })), ...swift.map((n) => ({ name: n, swift: true }))];

  // ---- strings
  const strTable = (list: string[]) => {
    const at = new Map<string, number>();
    const parts: Buffer[] = [];
    let n = 0;
    for (const s of list) {
      if (at.has(s)) continue;
      at.set(s, n);
      const b = Buffer.from(s + '\0');
      parts.push(b);
      n += b.length;
    }
    return { buf: Buffer.concat(parts), at };
  };
  const classnames = strTable(spec.classes);
  const methnames = strTable(spec.selectors);
  const cstrings = strTable([...(spec.strings ?? ['hello', 'v16@0:8']), ...swift, 'v16@0:8']);

  // ---- section sizes (contents filled once addresses are known)
  const methodsPerClass = Math.min(2, spec.selectors.length);
  const roSize = is64 ? 72 : 40;
  const classSize = 5 * P;
  const mlSize = 8 + methodsPerClass * 3 * P;
  const sections: Section[] = [
    { seg: '__TEXT', name: '__text', data: Buffer.alloc(16), align: 4, flags: 0x80000400, addr: 0, offset: 0 },
    { seg: '__TEXT', name: '__objc_classname', data: classnames.buf, align: 1, flags: S_CSTRING_LITERALS, addr: 0, offset: 0 },
    { seg: '__TEXT', name: '__objc_methname', data: methnames.buf, align: 1, flags: S_CSTRING_LITERALS, addr: 0, offset: 0 },
    { seg: '__TEXT', name: '__cstring', data: cstrings.buf, align: 1, flags: S_CSTRING_LITERALS, addr: 0, offset: 0 },
    { seg: '__DATA_CONST', name: '__objc_classlist', data: Buffer.alloc(all.length * P), align: P, flags: 0x10000000, addr: 0, offset: 0 },
    { seg: '__DATA_CONST', name: '__objc_imageinfo', data: Buffer.alloc(8), align: 4, flags: 0, addr: 0, offset: 0 },
    { seg: '__DATA', name: '__objc_const', data: Buffer.alloc(all.length * (2 * roSize + mlSize)), align: P, flags: 0, addr: 0, offset: 0 },
    { seg: '__DATA', name: '__objc_selrefs', data: Buffer.alloc(spec.selectors.length * P), align: P, flags: S_LITERAL_POINTERS | 0x10000000, addr: 0, offset: 0 },
    { seg: '__DATA', name: '__objc_data', data: Buffer.alloc(all.length * (2 * classSize + (spec.roInData ? roSize : 0))), align: P, flags: 0, addr: 0, offset: 0 },
  ];
  if (spec.classListLast) {
    const i = sections.findIndex((s) => s.name === '__objc_classlist');
    const [list] = sections.splice(i, 1) as [Section];
    sections.push({ ...list, seg: '__DATA' });
  }
  const segNames = ['__TEXT', '__DATA_CONST', '__DATA'];
  const sec = (name: string) => sections.find((s) => s.name === name) as Section;

  // ---- load command sizes, then the layout
  const segCmd = is64 ? 72 : 56;
  const secCmd = is64 ? 80 : 68;
  const chained = format !== 'plain';
  const cmdsList: number[] = [];
  if (is64) cmdsList.push(segCmd); // __PAGEZERO
  for (const sg of segNames) cmdsList.push(segCmd + secCmd * sections.filter((s) => s.seg === sg).length);
  cmdsList.push(segCmd); // __LINKEDIT
  cmdsList.push(24, 80); // LC_SYMTAB, LC_DYSYMTAB
  const dylibCmd = align(24 + DYLIB.length + 1, P);
  cmdsList.push(dylibCmd);
  if (spec.cryptid !== undefined) cmdsList.push(is64 ? 24 : 20);
  if (chained) cmdsList.push(16);
  const headerSize = is64 ? 32 : 28;
  const sizeofcmds = cmdsList.reduce((a, b) => a + b, 0);
  let fileAt = align(headerSize + sizeofcmds, 16);
  const segs: { name: string; vmaddr: number; fileoff: number; filesize: number; vmsize: number }[] = [];
  for (const sg of segNames) {
    const start = sg === '__TEXT' ? 0 : align(fileAt, PAGE);
    if (sg !== '__TEXT') fileAt = start;
    for (const s of sections.filter((x) => x.seg === sg)) {
      fileAt = align(fileAt, s.align);
      s.offset = fileAt;
      s.addr = BASE + fileAt;
      fileAt += s.data.length;
    }
    const size = align(fileAt - start, PAGE);
    segs.push({ name: sg, vmaddr: BASE + start, fileoff: start, filesize: size, vmsize: size });
    fileAt = start + size;
  }
  const linkeditOff = fileAt;

  // ---- pointers: every one recorded, encoded at the end
  const fixups: { sec: Section; at: number; target: number; auth?: boolean }[] = [];
  const put = (s: Section, at: number, target: number, auth = false) => {
    if (target === 0) return;
    fixups.push({ sec: s, at, target, auth });
  };
  const u32 = (s: Section, at: number, v: number) => s.data.writeUInt32LE(v >>> 0, at);
  const cl = sec('__objc_classlist');
  const oc = sec('__objc_const');
  const od = sec('__objc_data');
  const sr = sec('__objc_selrefs');
  const nameAddr = (c: { name: string; swift: boolean }) => (c.swift ? sec('__cstring').addr + (cstrings.at.get(c.name) as number) : sec('__objc_classname').addr + (classnames.at.get(c.name) as number));
  const typesAddr = sec('__cstring').addr + (cstrings.at.get('v16@0:8') as number);
  const classAddrs: number[] = [];
  all.forEach((c, i) => {
    const roBase = i * (2 * roSize + mlSize);
    const metaRo = roBase;
    const ro = roBase + roSize;
    const ml = roBase + 2 * roSize;
    const clsBase = i * (2 * classSize + (spec.roInData ? roSize : 0));
    const dataRo = spec.roInData ? clsBase : -1;
    const meta = clsBase + (spec.roInData ? roSize : 0);
    const cls = meta + classSize;
    // method_list_t: entsize, count, {name, types, imp}
    u32(oc, ml, 3 * P);
    u32(oc, ml + 4, methodsPerClass);
    for (let m = 0; m < methodsPerClass; m++) {
      const e = ml + 8 + m * 3 * P;
      put(oc, e, sec('__objc_methname').addr + (methnames.at.get(spec.selectors[m] as string) as number));
      put(oc, e + P, typesAddr);
    }
    const writeRo = (s: Section, at: number, meta: boolean) => {
      u32(s, at, meta ? RO_META : 0);
      u32(s, at + 4, meta ? (is64 ? 40 : 20) : P);
      u32(s, at + 8, meta ? (is64 ? 40 : 20) : P);
      const nameAt = at + (is64 ? 24 : 16);
      put(s, nameAt, nameAddr(c), format === 'arm64e' && !meta);
      if (!meta) put(s, nameAt + P, oc.addr + ml);
    };
    writeRo(oc, metaRo, true);
    writeRo(spec.roInData ? od : oc, spec.roInData ? dataRo : ro, false);
    const roAddr = spec.roInData ? od.addr + dataRo : oc.addr + ro;
    // class_t: isa, superclass, cache, vtable, data
    put(od, meta + 4 * P, oc.addr + metaRo);
    put(od, cls, od.addr + meta);
    put(od, cls + 4 * P, roAddr + (c.swift ? FAST_IS_SWIFT_STABLE : 0));
    classAddrs.push(od.addr + cls);
    put(cl, i * P, od.addr + cls, format === 'arm64e');
  });
  spec.selectors.forEach((s, i) => put(sr, i * P, sec('__objc_methname').addr + (methnames.at.get(s) as number)));
  u32(sec('__objc_imageinfo'), 4, swift.length ? 0x40 | (5 << 8) : 0x40);

  // ---- encode the pointers
  const segOf = (s: Section) => segs.find((g) => g.name === s.seg) as (typeof segs)[number];
  const encoded = new Map<string, { offset: number; next: number }[]>();
  for (const f of fixups) {
    const fileOff = f.sec.offset + f.at;
    const raw = BigInt(f.target);
    let v: bigint;
    if (format === 'plain') v = raw;
    else if (format === 'ptr64') v = raw;
    else if (format === 'ptr64-offset') v = raw - BigInt(BASE);
    else v = f.auth ? (1n << 63n) | (raw - BigInt(BASE)) : raw;
    if (is64) f.sec.data.writeBigUInt64LE(v, f.at);
    else f.sec.data.writeUInt32LE(Number(v), f.at);
    const g = segOf(f.sec);
    const list = encoded.get(g.name) ?? [];
    list.push({ offset: fileOff - g.fileoff, next: 0 });
    encoded.set(g.name, list);
  }
  // Chains: "next" (in 4- or 8-byte strides) links the fixups of one page; page_start names the first.
  const stride = format === 'arm64e' ? 8 : 4;
  const nextShift = 51n;
  const starts = new Map<string, number[]>();
  if (chained) {
    for (const [name, list] of encoded) {
      list.sort((a, b) => a.offset - b.offset);
      const g = segs.find((x) => x.name === name)!;
      const pages = Array.from({ length: g.filesize / PAGE }, () => PAGE_START_NONE);
      list.forEach((f, k) => {
        const page = Math.floor(f.offset / PAGE);
        if (pages[page] === PAGE_START_NONE) pages[page] = f.offset % PAGE;
        const nx = list[k + 1];
        const next = nx && Math.floor(nx.offset / PAGE) === page ? (nx.offset - f.offset) / stride : 0;
        const s = sections.find((x) => x.seg === name && g.fileoff + f.offset >= x.offset && g.fileoff + f.offset < x.offset + x.data.length)!;
        const at = g.fileoff + f.offset - s.offset;
        s.data.writeBigUInt64LE(s.data.readBigUInt64LE(at) | (BigInt(next) << nextShift), at);
      });
      starts.set(name, pages);
    }
  }

  // ---- symbols: defined (classes, exports), then undefined
  const defined: { name: string; value: number; sect: number }[] = [];
  const odOrdinal = sections.indexOf(od) + 1;
  all.forEach((c, i) => {
    defined.push({ name: `_OBJC_CLASS_$_${c.name}`, value: classAddrs[i] as number, sect: odOrdinal });
    defined.push({ name: `_OBJC_METACLASS_$_${c.name}`, value: (classAddrs[i] as number) - classSize, sect: odOrdinal });
  });
  for (const e of spec.exports ?? []) defined.push({ name: e, value: sec('__text').addr, sect: 1 });
  defined.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const imports = [...(spec.imports ?? [])].sort();
  const names = [...defined.map((d) => d.name), ...imports];
  const strParts: Buffer[] = [Buffer.from(' \0')];
  const strx: number[] = [];
  let strLen = 2;
  for (const n of names) {
    strx.push(strLen);
    const b = Buffer.from(n + '\0');
    strParts.push(b);
    strLen += b.length;
  }
  const strtab = Buffer.concat([...strParts, Buffer.alloc(align(strLen, 8) - strLen)]);
  const nl = is64 ? 16 : 12;
  const symtab = Buffer.alloc(names.length * nl);
  names.forEach((_, i) => {
    const o = i * nl;
    const d = defined[i];
    symtab.writeUInt32LE(strx[i] as number, o);
    symtab[o + 4] = d ? N_SECT | N_EXT : N_EXT;
    symtab[o + 5] = d ? d.sect : 0;
    symtab.writeUInt16LE(d ? 0 : 0x100, o + 6);
    if (is64) symtab.writeBigUInt64LE(BigInt(d ? d.value : 0), o + 8);
    else symtab.writeUInt32LE(d ? d.value : 0, o + 8);
  });

  // ---- chained-fixups blob
  let blob = Buffer.alloc(0);
  const segOrder = [...(is64 ? ['__PAGEZERO'] : []), ...segNames, '__LINKEDIT'];
  if (chained) {
    const startsAt = 32;
    const imageHead = 4 + 4 * segOrder.length;
    const segInfos: Buffer[] = [];
    const offsets: number[] = [];
    let at = align(imageHead, 8);
    for (const name of segOrder) {
      const pages = starts.get(name);
      if (!pages) {
        offsets.push(0);
        continue;
      }
      const g = segs.find((x) => x.name === name)!;
      const b = Buffer.alloc(align(22 + 2 * pages.length, 8));
      b.writeUInt32LE(22 + 2 * pages.length, 0);
      b.writeUInt16LE(PAGE, 4);
      b.writeUInt16LE(format === 'arm64e' ? PTR_ARM64E : format === 'ptr64' ? PTR_64 : PTR_64_OFFSET, 6);
      b.writeBigUInt64LE(BigInt(g.vmaddr - BASE), 8);
      b.writeUInt32LE(0, 16);
      b.writeUInt16LE(pages.length, 20);
      pages.forEach((p, k) => b.writeUInt16LE(p, 22 + 2 * k));
      offsets.push(at);
      segInfos.push(b);
      at += b.length;
    }
    const image = Buffer.alloc(align(imageHead, 8));
    image.writeUInt32LE(segOrder.length, 0);
    offsets.forEach((o, k) => image.writeUInt32LE(o, 4 + 4 * k));
    const startsBlob = Buffer.concat([image, ...segInfos]);
    const header = Buffer.alloc(startsAt);
    const importsAt = startsAt + startsBlob.length;
    header.writeUInt32LE(0, 0);
    header.writeUInt32LE(startsAt, 4);
    header.writeUInt32LE(importsAt, 8);
    header.writeUInt32LE(importsAt, 12);
    header.writeUInt32LE(0, 16);
    header.writeUInt32LE(1, 20);
    header.writeUInt32LE(0, 24);
    blob = Buffer.concat([header, startsBlob, Buffer.alloc(8)]);
  }
  const blobOff = linkeditOff;
  const symoff = align(blobOff + blob.length, 8);
  const stroff = symoff + symtab.length;
  const fileSize = stroff + strtab.length;

  // ---- header and load commands
  const out = Buffer.alloc(fileSize);
  let p = 0;
  const w32 = (v: number) => { out.writeUInt32LE(v >>> 0, p); p += 4; };
  const wPtr = (v: number) => { if (is64) { out.writeBigUInt64LE(BigInt(v), p); p += 8; } else w32(v); };
  const name16 = (s: string) => { out.write(s, p, 'latin1'); p += 16; };
  w32(is64 ? 0xfeedfacf : 0xfeedface); w32(cpu.type); w32(cpu.subtype); w32(spec.fileType ?? 2); w32(cmdsList.length); w32(sizeofcmds); w32(0x200085);
  if (is64) w32(0);
  const segment = (name: string, vmaddr: number, vmsize: number, fileoff: number, filesize: number, prot: number, secs: Section[]) => {
    w32(is64 ? LC_SEGMENT_64 : LC_SEGMENT); w32(segCmd + secCmd * secs.length); name16(name);
    wPtr(vmaddr); wPtr(vmsize); wPtr(fileoff); wPtr(filesize); w32(prot); w32(prot); w32(secs.length); w32(0);
    for (const s of secs) {
      name16(s.name); name16(s.seg); wPtr(s.addr); wPtr(s.data.length); w32(s.offset); w32(Math.log2(s.align)); w32(0); w32(0); w32(s.flags); w32(0); w32(0);
      if (is64) w32(0);
    }
  };
  if (is64) segment('__PAGEZERO', 0, BASE, 0, 0, 0, []);
  for (const g of segs) segment(g.name, g.vmaddr, g.vmsize, g.fileoff, g.filesize, g.name === '__TEXT' ? 5 : 3, sections.filter((s) => s.seg === g.name));
  segment('__LINKEDIT', BASE + linkeditOff, align(fileSize - linkeditOff, PAGE), linkeditOff, fileSize - linkeditOff, 1, []);
  w32(LC_SYMTAB); w32(24); w32(symoff); w32(names.length); w32(stroff); w32(strtab.length);
  w32(LC_DYSYMTAB); w32(80); w32(0); w32(0); w32(0); w32(defined.length); w32(defined.length); w32(imports.length);
  for (let i = 0; i < 12; i++) w32(0);
  w32(LC_LOAD_DYLIB); w32(dylibCmd); w32(24); w32(2); w32(0x10000); w32(0x10000);
  out.write(DYLIB, p, 'latin1');
  p += dylibCmd - 24;
  if (spec.cryptid !== undefined) {
    const text = segs[0]!;
    w32(is64 ? LC_ENCRYPTION_INFO_64 : LC_ENCRYPTION_INFO); w32(is64 ? 24 : 20); w32(PAGE); w32(text.filesize - PAGE); w32(spec.cryptid);
    if (is64) w32(0);
  }
  if (chained) { w32(LC_DYLD_CHAINED_FIXUPS); w32(16); w32(blobOff); w32(blob.length); }
  if (p !== headerSize + sizeofcmds) throw new Error(`load commands: wrote ${p - headerSize}, planned ${sizeofcmds}`);
  for (const s of sections) s.data.copy(out, s.offset);
  blob.copy(out, blobOff);
  symtab.copy(out, symoff);
  strtab.copy(out, stroff);
  return { bytes: out, classes: all.map((c) => c.name), definedSymbols: defined.map((d) => d.name) };
}
