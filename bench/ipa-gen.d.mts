// Types for bench/ipa-gen.mjs (used by tests/ipa/macho-stream*.test.ts).
export interface BigMachOOptions {
  /** Approximate file size in bytes (default 100e6). */
  size?: number;
  imports?: number;
  exports?: number;
  /** Local symbols: an unstripped binary with a big string table. */
  locals?: number;
  signatureBytes?: number;
  /** String table before the symbol table (ld64 never does this). */
  strtabFirst?: boolean;
  seed?: number;
}

export interface BigMachO {
  bytes: Buffer;
  /** Undefined symbols in symbol-table order. */
  imports: string[];
  exports: string[];
  textSize: number;
  symoff: number;
  stroff: number;
  sigOff: number;
}

export function buildBigMachO(opts?: BigMachOOptions): BigMachO;

export function deflatedEntry(name: string, data: Buffer): { name: string; method: number; crc: number; size: number; data: Buffer };
