// Rewrites real binary XML documents the way hardening tools and obfuscators do (header type 0, padding
// chunks, 24-byte attributes, larger node headers, trailing bytes, stray end tags), for tests that check
// the decoder still returns the tree aapt printed for the untouched file.

const NODE_HEADER = 16;
const START_ELEMENT = 0x0102;
const END_ELEMENT = 0x0103;
const END_NAMESPACE = 0x0101;

export interface Axml {
  type: number;
  /** Top-level chunks after the document header, each whole (header and body). */
  chunks: Buffer[];
}

export function splitAxml(buf: Buffer): Axml {
  const headerSize = buf.readUInt16LE(2);
  const end = buf.readUInt32LE(4);
  const chunks: Buffer[] = [];
  for (let p = headerSize; p + 8 <= end; ) {
    const size = buf.readUInt32LE(p + 4);
    chunks.push(buf.subarray(p, p + size));
    p += size;
  }
  return { type: buf.readUInt16LE(0), chunks };
}

export function joinAxml(doc: Axml, trailing: Buffer = Buffer.alloc(0)): Buffer {
  const body = Buffer.concat(doc.chunks);
  const head = Buffer.alloc(8);
  head.writeUInt16LE(doc.type, 0);
  head.writeUInt16LE(8, 2);
  head.writeUInt32LE(8 + body.length, 4);
  return Buffer.concat([head, body, trailing]);
}

export const typeOf = (chunk: Buffer): number => chunk.readUInt16LE(0);

export function chunk(type: number, headerSize: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(type, 0);
  head.writeUInt16LE(headerSize, 2);
  head.writeUInt32LE(8 + body.length, 4);
  return Buffer.concat([head, body]);
}

/** START_ELEMENT with every attribute padded to `size` bytes (attributeSize = size). */
export function padAttributes(el: Buffer, size: number): Buffer {
  const hs = el.readUInt16LE(2);
  const ext = Buffer.from(el.subarray(hs, hs + 20));
  const start = hs + el.readUInt16LE(hs + 8);
  const stride = el.readUInt16LE(hs + 10);
  const count = el.readUInt16LE(hs + 12);
  ext.writeUInt16LE(20, 8);
  ext.writeUInt16LE(size, 10);
  const attrs: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    attrs.push(Buffer.concat([el.subarray(start + i * stride, start + i * stride + 20), Buffer.alloc(size - 20, 0xee)]));
  }
  const out = Buffer.concat([el.subarray(0, hs), ext, ...attrs]);
  out.writeUInt32LE(out.length, 4);
  return out;
}

/** A node with `extra` junk bytes appended to its header (headerSize grows, Android reads the ext after it). */
export function growNodeHeader(node: Buffer, extra: number): Buffer {
  const out = Buffer.concat([node.subarray(0, NODE_HEADER), Buffer.alloc(extra, 0xab), node.subarray(NODE_HEADER)]);
  out.writeUInt16LE(NODE_HEADER + extra, 2);
  out.writeUInt32LE(out.length, 4);
  return out;
}

/** Sets attribute `index` of a START_ELEMENT's name string index. */
export function setAttributeName(el: Buffer, index: number, nameIndex: number): Buffer {
  const out = Buffer.from(el);
  const hs = out.readUInt16LE(2);
  const at = hs + out.readUInt16LE(hs + 8) + index * out.readUInt16LE(hs + 10);
  out.writeUInt32LE(nameIndex, at + 4);
  return out;
}

export function isNode(c: Buffer): boolean {
  const t = typeOf(c);
  return t >= 0x0100 && t <= 0x0104;
}

export { END_ELEMENT, END_NAMESPACE, START_ELEMENT };
