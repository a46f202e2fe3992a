// Which class's code refers to which method, field or string: a linear sweep over every method's
// instructions that only reads instruction widths and, for the few opcodes that name a method, field or
// string, that index. Nothing is decompiled; no control flow is followed. Used to attribute a framework
// API reference to the class (and so the SDK) whose code holds it: method_ids alone only say an API is
// referenced somewhere in the file.
import type { DexFile } from './dex-file.js';

// class_data_item: uleb128 static_fields_size, instance_fields_size, direct_methods_size, virtual_methods_size,
//   then encoded_field {uleb128 field_idx_diff, access_flags} per field,
//   then encoded_method {uleb128 method_idx_diff, access_flags, code_off} per method.
// code_item: 0 u16 registers_size | 2 u16 ins_size | 4 u16 outs_size | 6 u16 tries_size | 8 u32 debug_info_off
//   | 12 u32 insns_size (in 16-bit code units) | 16 u16 insns[insns_size] ...
const CODE_ITEM_INSNS_SIZE = 12;
const CODE_ITEM_INSNS = 16;
/** Smallest encoded_field / encoded_method: one byte per uleb128. */
const MIN_ENCODED_FIELD = 2;
const MIN_ENCODED_METHOD = 3;

// Payload pseudo-instructions sit in the instruction stream as a nop (0x00) with an ident in the high byte.
const PACKED_SWITCH_PAYLOAD = 0x0100;
const SPARSE_SWITCH_PAYLOAD = 0x0200;
const FILL_ARRAY_DATA_PAYLOAD = 0x0300;

/** Width in code units of each opcode, by instruction format (Dalvik bytecode spec, "Instruction formats"). */
const WIDTH = buildWidths();

function buildWidths(): Uint8Array {
  const w = new Uint8Array(256).fill(1); // 10x/11x/11n/12x/10t and every unused opcode
  const set = (from: number, to: number, width: number): void => {
    for (let op = from; op <= to; op++) w[op] = width;
  };
  set(0x02, 0x02, 2); set(0x03, 0x03, 3); // move/from16 22x, move/16 32x
  set(0x05, 0x05, 2); set(0x06, 0x06, 3);
  set(0x08, 0x08, 2); set(0x09, 0x09, 3);
  set(0x13, 0x13, 2); set(0x14, 0x14, 3); set(0x15, 0x16, 2); set(0x17, 0x17, 3); // const/16 21s, const 31i, ...
  set(0x18, 0x18, 5); set(0x19, 0x19, 2); // const-wide 51l, const-wide/high16 21h
  set(0x1a, 0x1a, 2); set(0x1b, 0x1b, 3); set(0x1c, 0x1c, 2); // const-string 21c, /jumbo 31c, const-class 21c
  set(0x1f, 0x20, 2); set(0x22, 0x23, 2); // check-cast, instance-of, new-instance, new-array
  set(0x24, 0x26, 3); // filled-new-array 35c, /range 3rc, fill-array-data 31t
  set(0x29, 0x29, 2); set(0x2a, 0x2c, 3); // goto/16 20t, goto/32 30t, packed-/sparse-switch 31t
  set(0x2d, 0x3d, 2); // cmp 23x, if-test 22t, if-testz 21t
  set(0x44, 0x6d, 2); // aget/aput 23x, iget/iput 22c, sget/sput 21c
  set(0x6e, 0x72, 3); set(0x74, 0x78, 3); // invoke-kind 35c, invoke-kind/range 3rc
  set(0x90, 0xaf, 2); set(0xd0, 0xe2, 2); // binop 23x, binop/lit16 22s, binop/lit8 22b
  set(0xfa, 0xfb, 4); set(0xfc, 0xfd, 3); set(0xfe, 0xff, 2); // invoke-polymorphic 45cc/4rcc, invoke-custom 35c/3rc, const-method-handle/type 21c
  return w;
}

const enum RefKind {
  None = 0,
  Method = 1,
  Field = 2,
  String = 3,
  StringJumbo = 4,
}

/** What index unit 1 of each opcode names. */
const REF = buildRefs();

function buildRefs(): Uint8Array {
  const r = new Uint8Array(256);
  for (let op = 0x6e; op <= 0x72; op++) r[op] = RefKind.Method;
  for (let op = 0x74; op <= 0x78; op++) r[op] = RefKind.Method;
  r[0xfa] = RefKind.Method;
  r[0xfb] = RefKind.Method;
  for (let op = 0x52; op <= 0x6d; op++) r[op] = RefKind.Field; // iget/iput 22c, sget/sput 21c
  r[0x1a] = RefKind.String;
  r[0x1b] = RefKind.StringJumbo;
  return r;
}

export type RefType = 'method' | 'field' | 'string';

export interface CodeScanTargets {
  /** Marks by index (1 = wanted); an absent table means none of that kind is wanted. */
  methods?: Uint8Array;
  fields?: Uint8Array;
  strings?: Uint8Array;
}

export interface CodeScanResult {
  /** Methods with code that were walked. */
  codeItems: number;
  /** Code units walked. */
  units: number;
  /** Code items that could not be walked to their end (an instruction or payload overruns). */
  truncated: number;
}

/** INFO[op]: width in code units (low nibble) | what unit 1 names (RefKind << 4); a nop may be a payload. */
const WIDTH_MASK = 0x0f;
const KIND_SHIFT = 4;
const NOP_MARK = 0x80;
const INFO = buildInfo();

function buildInfo(): Uint8Array {
  const info = new Uint8Array(256);
  for (let op = 0; op < 256; op++) info[op] = WIDTH[op]! | (REF[op]! << KIND_SHIFT);
  info[0] = info[0]! | NOP_MARK;
  return info;
}

const NO_MARKS = new Uint8Array(0);
/** Hits of the method being swept, as (RefKind, index) pairs: the caller's callback is not called from the hot loop. */
let found = new Int32Array(256);
let foundN = 0;
const KIND_NAMES: Record<number, RefType> = { [RefKind.Method]: 'method', [RefKind.Field]: 'field', [RefKind.String]: 'string' };

/**
 * Calls `hit(classDefIndex, kind, index)` once per instruction that names a marked method, field or string.
 * Throws E_BAD_DEX when class data or a code item lies outside the file, or when the file costs more work
 * than its size allows (DexFile.charge).
 */
export function scanCode(dex: DexFile, targets: CodeScanTargets, hit: (classDef: number, kind: RefType, index: number) => void): CodeScanResult {
  const methods = targets.methods ?? NO_MARKS;
  const fields = targets.fields ?? NO_MARKS;
  const strings = targets.strings ?? NO_MARKS;
  // Opcodes whose kind nobody asked for are plain instructions here: the loop below then tests one byte.
  const info = INFO.slice();
  for (let op = 1; op < 256; op++) {
    const k = info[op]! >> KIND_SHIFT;
    const wanted = k === RefKind.Method ? targets.methods : k === RefKind.Field ? targets.fields : k === RefKind.String || k === RefKind.StringJumbo ? targets.strings : undefined;
    if (!wanted) info[op] = info[op]! & WIDTH_MASK;
  }
  const buf = dex.buf;
  const end = dex.end;
  const result: CodeScanResult = { codeItems: 0, units: 0, truncated: 0 };
  const classCount = dex.classCount;
  for (let c = 0; c < classCount; c++) {
    const dataOff = dex.classDataOff(c);
    if (dataOff === 0) continue;
    let p = dataOff;
    let fieldsN = dex.readUleb(p);
    fieldsN += dex.readUleb(dex.ulebEnd);
    let methodsN = dex.readUleb(dex.ulebEnd);
    methodsN += dex.readUleb(dex.ulebEnd);
    p = dex.ulebEnd;
    // Every encoded item takes at least one byte per uleb128: counts above that cannot be real.
    if (fieldsN * MIN_ENCODED_FIELD + methodsN * MIN_ENCODED_METHOD > end - p) {
      dex.fail(`class_data at offset ${dataOff}: ${fieldsN} fields and ${methodsN} methods cannot fit in the ${end - p} bytes left`, dataOff);
    }
    dex.charge(fieldsN * MIN_ENCODED_FIELD + methodsN * MIN_ENCODED_METHOD);
    p = skipUlebs(dex, p, fieldsN * 2);
    for (let i = 0; i < methodsN; i++) {
      p = skipUlebs(dex, p, 2); // method_idx_diff, access_flags
      const codeOff = dex.readUleb(p);
      p = dex.ulebEnd;
      if (codeOff === 0) continue;
      const insnsSize = dex.u32(codeOff + CODE_ITEM_INSNS_SIZE);
      const start = codeOff + CODE_ITEM_INSNS;
      const stop = start + insnsSize * 2;
      if (stop > end) dex.fail(`code_item at offset ${codeOff}: ${insnsSize} code units run past the end of the file (${end} bytes)`, codeOff);
      dex.charge(insnsSize);
      result.codeItems++;
      result.units += insnsSize;
      foundN = 0;
      const q = sweep(buf, start, stop, info, methods, fields, strings);
      if (q < 0 || q > stop) result.truncated++;
      for (let h = 0; h < foundN; h += 2) hit(c, KIND_NAMES[found[h]!]!, found[h + 1]!);
    }
  }
  return result;
}

/**
 * Walks the instructions in [start, stop) of one method, pushing hits to `found`; returns where the walk ended (past `stop`
 * when the last instruction overruns) or -1 when a payload does not fit. A function of its own: V8 optimizes
 * a small hot loop much sooner than the whole scan, and a scan runs once per file.
 */
function sweep(buf: Buffer, start: number, stop: number, info: Uint8Array, methods: Uint8Array, fields: Uint8Array, strings: Uint8Array): number {
  let q = start;
  while (q < stop) {
    const op = buf[q]!;
    const inf = info[op]!;
    if (inf > WIDTH_MASK) {
      if (inf & NOP_MARK) {
        const unit = buf[q + 1]! << 8; // op is 0: the unit is the high byte
        if (unit === PACKED_SWITCH_PAYLOAD || unit === SPARSE_SWITCH_PAYLOAD || unit === FILL_ARRAY_DATA_PAYLOAD) {
          const width = payloadWidth(buf, q, stop, unit);
          if (width === 0) return -1;
          q += width * 2;
          continue;
        }
      } else if (q + (inf & WIDTH_MASK) * 2 <= stop) {
        const ref = inf >> KIND_SHIFT;
        const idx = buf[q + 2]! | (buf[q + 3]! << 8);
        if (ref === RefKind.Method) {
          if (methods[idx] === 1) pushHit(RefKind.Method, idx);
        } else if (ref === RefKind.Field) {
          if (fields[idx] === 1) pushHit(RefKind.Field, idx);
        } else {
          const sidx = ref === RefKind.StringJumbo ? idx + (buf[q + 4]! | (buf[q + 5]! << 8)) * 0x10000 : idx;
          if (strings[sidx] === 1) pushHit(RefKind.String, sidx);
        }
      }
    }
    q += (inf & WIDTH_MASK) * 2;
  }
  return q;
}

function pushHit(kind: number, idx: number): void {
  if (foundN + 2 > found.length) {
    const bigger = new Int32Array(found.length * 2);
    bigger.set(found);
    found = bigger;
  }
  found[foundN++] = kind;
  found[foundN++] = idx;
}

/** Skips `n` uleb128 values from `p` (checked like DexFile.readUleb); returns the offset after them. */
function skipUlebs(dex: DexFile, p: number, n: number): number {
  const buf = dex.buf;
  const end = dex.end;
  for (let i = 0; i < n; i++) {
    // Fast path: a one-byte value well inside the file; otherwise the checked reader says what is wrong.
    if (p < end && buf[p]! < 0x80) p++;
    else {
      dex.readUleb(p);
      p = dex.ulebEnd;
    }
  }
  return p;
}

/** Width of a payload pseudo-instruction in code units, or 0 when it does not fit before `stop`. */
function payloadWidth(buf: Buffer, q: number, stop: number, ident: number): number {
  if (q + 8 > stop) return 0;
  const size = buf[q + 2]! | (buf[q + 3]! << 8);
  let width: number;
  if (ident === PACKED_SWITCH_PAYLOAD) {
    // ident, size, int first_key, int targets[size]
    width = 4 + size * 2;
  } else if (ident === SPARSE_SWITCH_PAYLOAD) {
    // ident, size, int keys[size], int targets[size]
    width = 2 + size * 4;
  } else {
    // ident, ushort element_width, uint size, ubyte data[size * element_width] (padded to a code unit)
    const elementWidth = size;
    const count = buf.readUInt32LE(q + 4);
    width = 4 + Math.ceil((count * elementWidth) / 2);
  }
  return q + width * 2 <= stop ? width : 0;
}
