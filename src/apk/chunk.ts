// ResChunk_header, the 8-byte header in front of every block of Android's binary resource formats
// (binary XML and resources.arsc), plus bounds-checked little-endian readers shared by both decoders.
// Reference: frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h.
import type { Anomaly } from '../errors.js';

// ResChunk_header
//   0 u16 type | 2 u16 headerSize (bytes up to the chunk's data) | 4 u32 size (header + data + children)
export const CHUNK_HEADER_SIZE = 8;
const CHUNK_TYPE = 0;
const CHUNK_HEADER_SIZE_FIELD = 2;
const CHUNK_SIZE_FIELD = 4;

export const RES_NULL_TYPE = 0x0000;
export const RES_STRING_POOL_TYPE = 0x0001;
export const RES_TABLE_TYPE = 0x0002;
export const RES_XML_TYPE = 0x0003;
export const RES_XML_START_NAMESPACE_TYPE = 0x0100;
export const RES_XML_END_NAMESPACE_TYPE = 0x0101;
export const RES_XML_START_ELEMENT_TYPE = 0x0102;
export const RES_XML_END_ELEMENT_TYPE = 0x0103;
export const RES_XML_CDATA_TYPE = 0x0104;
export const RES_XML_FIRST_CHUNK_TYPE = 0x0100;
export const RES_XML_LAST_CHUNK_TYPE = 0x017f;
export const RES_XML_RESOURCE_MAP_TYPE = 0x0180;
export const RES_TABLE_PACKAGE_TYPE = 0x0200;
export const RES_TABLE_TYPE_TYPE = 0x0201;
export const RES_TABLE_TYPE_SPEC_TYPE = 0x0202;
export const RES_TABLE_LIBRARY_TYPE = 0x0203;

/** "No string" / "no entry" marker used by string references and dense entry offsets. */
export const NO_INDEX = 0xffffffff;

export interface ChunkHeader {
  /** Absolute offset of the chunk in the buffer. */
  offset: number;
  type: number;
  headerSize: number;
  size: number;
}

/** The chunk header at `offset`, or undefined when fewer than 8 bytes remain before `end`. */
export function readChunkHeader(buf: Buffer, offset: number, end: number): ChunkHeader | undefined {
  if (offset < 0 || offset + CHUNK_HEADER_SIZE > end || offset + CHUNK_HEADER_SIZE > buf.length) return undefined;
  return {
    offset,
    type: buf.readUInt16LE(offset + CHUNK_TYPE),
    headerSize: buf.readUInt16LE(offset + CHUNK_HEADER_SIZE_FIELD),
    size: buf.readUInt32LE(offset + CHUNK_SIZE_FIELD),
  };
}

/**
 * Why a chunk cannot be walked (undefined when it can): its header must be at least `minHeaderSize`,
 * its size at least its header size, and the whole chunk must end at or before `end`.
 */
export function chunkProblem(c: ChunkHeader, minHeaderSize: number, end: number): string | undefined {
  if (c.headerSize < minHeaderSize) return `header size ${c.headerSize} is below the minimum ${minHeaderSize}`;
  if (c.size < c.headerSize) return `chunk size ${c.size} is smaller than its header size ${c.headerSize}`;
  if (c.offset + c.size > end) return `chunk of ${c.size} bytes runs past the end (${end - c.offset} bytes left)`;
  return undefined;
}

export function hex(n: number, width = 4): string {
  return '0x' + n.toString(16).padStart(width, '0');
}

/** u16 at `at` when the two bytes lie before `end`, else undefined. */
export function u16At(buf: Buffer, at: number, end = buf.length): number | undefined {
  return at >= 0 && at + 2 <= end && at + 2 <= buf.length ? buf.readUInt16LE(at) : undefined;
}

/** u32 at `at` when the four bytes lie before `end`, else undefined. */
export function u32At(buf: Buffer, at: number, end = buf.length): number | undefined {
  return at >= 0 && at + 4 <= end && at + 4 <= buf.length ? buf.readUInt32LE(at) : undefined;
}

/** Anomalies recorded per document at most; a hostile file could otherwise produce one per chunk. */
export const MAX_ANOMALIES_PER_DOCUMENT = 50;

/** Collects a document's anomalies into the caller's array, up to MAX_ANOMALIES_PER_DOCUMENT. */
export class AnomalyNotes {
  private n = 0;
  constructor(
    private readonly out: Anomaly[],
    readonly prefix: string,
    /** The package entry the document came from, stamped on every anomaly when known. */
    private readonly entry?: string,
  ) {}
  add(code: string, detail: string, offset?: number): void {
    this.n++;
    if (this.n <= MAX_ANOMALIES_PER_DOCUMENT) {
      this.push({ code, detail, ...(offset === undefined ? {} : { offset }) });
    } else if (this.n === MAX_ANOMALIES_PER_DOCUMENT + 1) {
      this.push({ code: `${this.prefix}_MORE_ANOMALIES`, detail: `more than ${MAX_ANOMALIES_PER_DOCUMENT} anomalies; the rest are not listed` });
    }
  }
  private push(a: Anomaly): void {
    this.out.push(this.entry === undefined ? a : { ...a, entry: this.entry });
  }
}
