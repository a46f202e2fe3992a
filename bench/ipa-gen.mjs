// Large synthetic iOS executables and IPAs for `npm run bench` and the streaming tests (never committed).
// The executable is a thin arm64 MH_EXECUTE laid out like ld64 output: __PAGEZERO, __TEXT (__text code-like
// words, __cstring), __DATA, then __LINKEDIT with the symbol table, the string table and a code signature at
// the end. The bytes are made to compress and inflate like real arm64 apps (deflate keeps ~35%, zlib inflates
// ~500 MB/s): basic blocks of instruction words that recur with a skewed frequency, identifier text, pointers.
// llvm-objdump / llvm-nm read the result (tests/ipa/macho-stream.test.ts checks it).
import { crc32, deflateRawSync } from 'node:zlib';

const MH_MAGIC_64 = 0xfeedfacf;
const CPU_TYPE_ARM64 = 0x0100000c;
const MH_EXECUTE = 2;
const MH_FLAGS = 0x1 | 0x4 | 0x80 | 0x200000; // NOUNDEFS | DYLDLINK | TWOLEVEL | PIE
const LC_SEGMENT_64 = 0x19;
const LC_SYMTAB = 0x2;
const LC_DYSYMTAB = 0xb;
const LC_LOAD_DYLIB = 0xc;
const LC_LOAD_DYLINKER = 0xe;
const LC_UUID = 0x1b;
const LC_CODE_SIGNATURE = 0x1d;
const LC_ENCRYPTION_INFO_64 = 0x2c;
const LC_BUILD_VERSION = 0x32;
const LC_MAIN = 0x80000028;
const LC_RPATH = 0x8000001c;
const N_EXT = 0x1;
const N_SECT = 0xe;
const PAGE = 0x4000;
const VM_BASE = 0x100000000;

/** xorshift32: deterministic bytes for a given seed. */
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

/** A table mapping 16 random bits to indexes 0..n-1 with Zipf-like weights (rank^-z). */
function zipf(n, z) {
  const cum = new Float64Array(n);
  let t = 0;
  for (let i = 0; i < n; i++) { t += 1 / Math.pow(i + 1, z); cum[i] = t; }
  const lut = new Uint32Array(1 << 16);
  for (let j = 0, i = 0; j < lut.length; j++) {
    const x = ((j + 0.5) / lut.length) * t;
    while (cum[i] < x) i++;
    lut[j] = i;
  }
  return lut;
}

/** Instruction-like words: basic blocks drawn from a library with skewed frequencies, a few words altered. */
function codeBytes(length, r) {
  const nb = 16;
  const lanes = [0, 1, 2, 3].map(() => Array.from({ length: nb }, () => r() & 0xff));
  const word = () => (lanes[0][r() % nb] | (lanes[1][r() % nb] << 8) | (lanes[2][r() % nb] << 16) | (lanes[3][r() % nb] << 24)) >>> 0;
  const blocks = [];
  for (let b = 0; b < 16384; b++) {
    const a = new Uint32Array(3 + (r() % 24));
    for (let i = 0; i < a.length; i++) a[i] = word();
    blocks.push(a);
  }
  const pick = zipf(blocks.length, 1.0);
  const out = new Uint32Array(length >>> 2);
  for (let i = 0; i < out.length;) {
    const blk = blocks[pick[r() & 0xffff]];
    for (let k = 0; k < blk.length && i < out.length; k++, i++) out[i] = (r() & 0xff) < 20 ? word() : blk[k];
  }
  const buf = Buffer.alloc(length);
  Buffer.from(out.buffer).copy(buf);
  return buf;
}

const WORDS = ['Lesson', 'Class', 'Student', 'Teacher', 'Homework', 'Score', 'Course', 'Video', 'Audio', 'Quiz', 'Answer', 'Chapter',
  'Parent', 'School', 'Grade', 'Exam', 'Notice', 'Message', 'Record', 'Upload', 'Download', 'Player', 'Camera', 'Location', 'Network',
  'Cache', 'Image', 'Label', 'Button', 'Table', 'Cell', 'View', 'Controller', 'Manager', 'Service', 'Request', 'Response', 'Model', 'Data'];

function identifier(r, parts) {
  let s = '';
  for (let i = 0; i < parts; i++) s += WORDS[r() % WORDS.length];
  return s;
}

/** A Swift-mangled-looking symbol name. */
function swiftName(r) {
  const mod = 'SmartClass';
  const type = identifier(r, 1 + (r() % 3));
  const member = identifier(r, 1 + (r() % 2));
  return `_$s${mod.length}${mod}${type.length}${type}C${member.length}${member.toLowerCase()}${r() & 1 ? 'yyF' : 'SSvg'}`;
}

function cstringBytes(length, r) {
  const parts = [];
  let n = 0;
  while (n < length) {
    const s = Buffer.from(`${identifier(r, 1 + (r() % 4))}${r() % 3 === 0 ? ':' : ''}\0`);
    parts.push(s);
    n += s.length;
  }
  return Buffer.concat(parts).subarray(0, length);
}

/** Pointers into __TEXT/__DATA, small integers and zeros, like __DATA_CONST/__objc_* sections. */
function dataBytes(length, r) {
  const buf = Buffer.alloc(length);
  for (let p = 0; p + 8 <= length; p += 8) {
    const k = r() & 7;
    if (k < 4) buf.writeBigUInt64LE(BigInt(VM_BASE + PAGE + ((r() & 0xfffff) << 3)), p);
    else if (k < 6) buf.writeUInt32LE(r() & 0xff, p);
  }
  return buf;
}

const IMPORT_SEEDS = ['___stack_chk_fail', '___stack_chk_guard', '_objc_release', '_objc_retain', '_objc_msgSend', '_objc_autoreleasePoolPush',
  '_swift_retain', '_swift_release', '_swift_allocObject', '_dispatch_async', '_OBJC_CLASS_$_UIView', '_OBJC_CLASS_$_UIViewController',
  '_OBJC_CLASS_$_AVAudioRecorder', '_OBJC_CLASS_$_CLLocationManager', '_OBJC_CLASS_$_NSURLSession'];

const DYLIBS = ['/usr/lib/libSystem.B.dylib', '/usr/lib/libobjc.A.dylib', '/usr/lib/swift/libswiftCore.dylib',
  '/System/Library/Frameworks/Foundation.framework/Foundation', '/System/Library/Frameworks/UIKit.framework/UIKit',
  '/System/Library/Frameworks/AVFoundation.framework/AVFoundation', '/System/Library/Frameworks/CoreLocation.framework/CoreLocation',
  '/System/Library/Frameworks/WebKit.framework/WebKit', '/System/Library/Frameworks/Security.framework/Security'];

function lcString(cmd, fixed, s) {
  const size = Math.ceil((fixed + Buffer.byteLength(s) + 1) / 8) * 8;
  const b = Buffer.alloc(size);
  b.writeUInt32LE(cmd, 0);
  b.writeUInt32LE(size, 4);
  b.writeUInt32LE(fixed, 8);
  b.write(s, fixed);
  return b;
}

function segment(name, vmaddr, vmsize, fileoff, filesize, prot, sections) {
  const b = Buffer.alloc(72 + 80 * sections.length);
  b.writeUInt32LE(LC_SEGMENT_64, 0);
  b.writeUInt32LE(b.length, 4);
  b.write(name, 8);
  b.writeBigUInt64LE(BigInt(vmaddr), 24);
  b.writeBigUInt64LE(BigInt(vmsize), 32);
  b.writeBigUInt64LE(BigInt(fileoff), 40);
  b.writeBigUInt64LE(BigInt(filesize), 48);
  b.writeUInt32LE(prot, 56);
  b.writeUInt32LE(prot, 60);
  b.writeUInt32LE(sections.length, 64);
  sections.forEach((s, i) => {
    const o = 72 + i * 80;
    b.write(s.name, o);
    b.write(name, o + 16);
    b.writeBigUInt64LE(BigInt(s.addr), o + 32);
    b.writeBigUInt64LE(BigInt(s.size), o + 40);
    b.writeUInt32LE(s.offset, o + 48);
    b.writeUInt32LE(s.align, o + 52);
    b.writeUInt32LE(s.flags ?? 0, o + 64);
  });
  return b;
}

const align = (n, a) => Math.ceil(n / a) * a;

/**
 * A thin arm64 executable of about `size` bytes. Options: imports / exports / locals (symbol counts; locals
 * make an unstripped binary with a big string table), signatureBytes (the code signature at the end),
 * strtabFirst (the string table before the symbol table, which ld64 never does), seed.
 * Returns { bytes, imports: [names, in symbol-table order], exports, textSize }.
 */
export function buildBigMachO(opts = {}) {
  const r = rng(opts.seed ?? 0x5eed);
  const size = opts.size ?? 100e6;
  const nImports = opts.imports ?? 6000;
  const nExports = opts.exports ?? 20000;
  const nLocals = opts.locals ?? 0;
  const signatureBytes = opts.signatureBytes ?? Math.ceil(size / 4096) * 44 + 8192;

  const imports = [...IMPORT_SEEDS];
  const seen = new Set(imports);
  while (imports.length < nImports) {
    const n = r() % 3 === 0 ? `_OBJC_CLASS_$_${identifier(r, 2)}` : swiftName(r);
    if (!seen.has(n)) { seen.add(n); imports.push(n); }
  }
  imports.length = nImports;
  // Symbol-table order is by name within each group, as ld64 writes it.
  imports.sort();
  const exports = [];
  for (let i = 0; i < nExports; i++) exports.push(`${swiftName(r)}${i.toString(36)}`);
  exports.sort();
  const locals = [];
  for (let i = 0; i < nLocals; i++) locals.push(`l_${swiftName(r)}${i.toString(36)}`);

  // Linkedit contents.
  const names = [...locals, ...exports, ...imports];
  const strParts = [Buffer.from(' \0')];
  const strx = new Uint32Array(names.length);
  let strLen = 2;
  for (let i = 0; i < names.length; i++) {
    const b = Buffer.from(names[i] + '\0');
    strx[i] = strLen;
    strParts.push(b);
    strLen += b.length;
  }
  strParts.push(Buffer.alloc(align(strLen, 8) - strLen));
  const strtab = Buffer.concat(strParts);
  const symtab = Buffer.alloc(names.length * 16);
  names.forEach((_, i) => {
    const o = i * 16;
    const undef = i >= locals.length + exports.length;
    symtab.writeUInt32LE(strx[i], o);
    symtab[o + 4] = undef ? N_EXT : i < locals.length ? N_SECT : N_SECT | N_EXT;
    symtab[o + 5] = undef ? 0 : 1;
    symtab.writeUInt16LE(undef ? 0x100 : 0, o + 6);
    symtab.writeBigUInt64LE(undef ? 0n : BigInt(VM_BASE + PAGE + i * 4), o + 8);
  });

  // File layout: header and commands in the first page, then __TEXT, __DATA, __LINKEDIT.
  const linkeditEstimate = symtab.length + strtab.length + signatureBytes + 64;
  const body = Math.max(PAGE * 4, size - PAGE - linkeditEstimate);
  const textSize = align(Math.floor(body * 0.82), PAGE);
  const dataSize = align(Math.max(PAGE, body - textSize), PAGE);
  const codeSize = align(Math.floor(textSize * 0.85), 16);
  const cstrSize = textSize - PAGE - codeSize > 0 ? textSize - PAGE - codeSize : 0;
  const textEnd = PAGE + codeSize + cstrSize; // __TEXT spans file 0 .. textSegSize
  const textSegSize = align(textEnd, PAGE);
  const dataOff = textSegSize;
  const linkeditOff = dataOff + dataSize;
  const first = opts.strtabFirst ? strtab : symtab;
  const second = opts.strtabFirst ? symtab : strtab;
  const firstOff = linkeditOff;
  const secondOff = firstOff + first.length;
  const sigOff = align(secondOff + second.length, 16);
  const fileSize = sigOff + signatureBytes;
  const symoff = opts.strtabFirst ? secondOff : firstOff;
  const stroff = opts.strtabFirst ? firstOff : secondOff;

  const cmds = [];
  cmds.push(segment('__PAGEZERO', 0, VM_BASE, 0, 0, 0, []));
  cmds.push(segment('__TEXT', VM_BASE, textSegSize, 0, textSegSize, 5, [
    { name: '__text', addr: VM_BASE + PAGE, size: codeSize, offset: PAGE, align: 2, flags: 0x80000400 },
    { name: '__cstring', addr: VM_BASE + PAGE + codeSize, size: cstrSize, offset: PAGE + codeSize, align: 0, flags: 0x2 },
  ]));
  cmds.push(segment('__DATA', VM_BASE + textSegSize, dataSize, dataOff, dataSize, 3, [
    { name: '__data', addr: VM_BASE + textSegSize, size: dataSize, offset: dataOff, align: 3 },
  ]));
  cmds.push(segment('__LINKEDIT', VM_BASE + textSegSize + dataSize, align(fileSize - linkeditOff, PAGE), linkeditOff, fileSize - linkeditOff, 1, []));
  const st = Buffer.alloc(24);
  st.writeUInt32LE(LC_SYMTAB, 0); st.writeUInt32LE(24, 4);
  st.writeUInt32LE(symoff, 8); st.writeUInt32LE(names.length, 12); st.writeUInt32LE(stroff, 16); st.writeUInt32LE(strtab.length, 20);
  cmds.push(st);
  const dy = Buffer.alloc(80);
  dy.writeUInt32LE(LC_DYSYMTAB, 0); dy.writeUInt32LE(80, 4);
  dy.writeUInt32LE(0, 8); dy.writeUInt32LE(locals.length, 12);
  dy.writeUInt32LE(locals.length, 16); dy.writeUInt32LE(exports.length, 20);
  dy.writeUInt32LE(locals.length + exports.length, 24); dy.writeUInt32LE(imports.length, 28);
  cmds.push(dy);
  cmds.push(lcString(LC_LOAD_DYLINKER, 12, '/usr/lib/dyld'));
  const uuid = Buffer.alloc(24);
  uuid.writeUInt32LE(LC_UUID, 0); uuid.writeUInt32LE(24, 4);
  for (let i = 8; i < 24; i++) uuid[i] = r() & 0xff;
  cmds.push(uuid);
  const bv = Buffer.alloc(24);
  bv.writeUInt32LE(LC_BUILD_VERSION, 0); bv.writeUInt32LE(24, 4); bv.writeUInt32LE(2, 8); bv.writeUInt32LE(0x0d0000, 12); bv.writeUInt32LE(0x110200, 16);
  cmds.push(bv);
  const main = Buffer.alloc(24);
  main.writeUInt32LE(LC_MAIN, 0); main.writeUInt32LE(24, 4); main.writeBigUInt64LE(BigInt(PAGE), 8);
  cmds.push(main);
  const enc = Buffer.alloc(24);
  enc.writeUInt32LE(LC_ENCRYPTION_INFO_64, 0); enc.writeUInt32LE(24, 4); enc.writeUInt32LE(PAGE, 8); enc.writeUInt32LE(textSegSize - PAGE, 12);
  cmds.push(enc);
  for (const d of DYLIBS) {
    const b = lcString(LC_LOAD_DYLIB, 24, d);
    b.writeUInt32LE(2, 12); b.writeUInt32LE(0x10000, 16); b.writeUInt32LE(0x10000, 20);
    cmds.push(b);
  }
  cmds.push(lcString(LC_RPATH, 12, '@executable_path/Frameworks'));
  const cs = Buffer.alloc(16);
  cs.writeUInt32LE(LC_CODE_SIGNATURE, 0); cs.writeUInt32LE(16, 4); cs.writeUInt32LE(sigOff, 8); cs.writeUInt32LE(signatureBytes, 12);
  cmds.push(cs);
  const sizeofcmds = cmds.reduce((n, c) => n + c.length, 0);
  const hdr = Buffer.alloc(32);
  hdr.writeUInt32LE(MH_MAGIC_64, 0); hdr.writeUInt32LE(CPU_TYPE_ARM64, 4); hdr.writeUInt32LE(0, 8); hdr.writeUInt32LE(MH_EXECUTE, 12);
  hdr.writeUInt32LE(cmds.length, 16); hdr.writeUInt32LE(sizeofcmds, 20); hdr.writeUInt32LE(MH_FLAGS, 24);

  const out = Buffer.alloc(fileSize);
  hdr.copy(out, 0);
  Buffer.concat(cmds).copy(out, 32);
  codeBytes(codeSize, r).copy(out, PAGE);
  cstringBytes(cstrSize, r).copy(out, PAGE + codeSize);
  dataBytes(dataSize, r).copy(out, dataOff);
  first.copy(out, firstOff);
  second.copy(out, secondOff);
  // Code signature: a SuperBlob header, then hash-like (incompressible) bytes.
  out.writeUInt32BE(0xfade0cc0, sigOff); out.writeUInt32BE(signatureBytes, sigOff + 4); out.writeUInt32BE(0, sigOff + 8);
  for (let p = sigOff + 12; p + 4 <= fileSize; p += 4) out.writeUInt32LE(r(), p);
  return { bytes: out, imports, exports, textSize: textSegSize, symoff, stroff, sigOff };
}

/** A zip entry record for a deflated file (level 6, like Xcode's export). */
export function deflatedEntry(name, data) {
  return { name, method: 8, crc: crc32(data), size: data.length, data: deflateRawSync(data, { level: 6 }) };
}
