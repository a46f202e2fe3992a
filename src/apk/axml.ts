// Android binary XML (AndroidManifest.xml, res/xml/*.xml) -> element tree. Tolerates what Android's
// ResXMLTree tolerates (it never looks at the document header's type, skips chunks it does not know, steps
// through attributes by the declared attributeSize) and a little more (unbalanced end tags, bad string
// indexes), recording an anomaly for each; throws E_BAD_AXML only when no element tree can be had.
// References: ResXMLTree::setTo / ResXMLParser::nextNode in frameworks/base/libs/androidfw/ResourceTypes.cpp,
// apksig's AndroidBinXmlParser.
import { EduscanError, LimitError, type Anomaly } from '../errors.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import {
  AnomalyNotes,
  CHUNK_HEADER_SIZE,
  chunkProblem,
  hex,
  NO_INDEX,
  readChunkHeader,
  RES_STRING_POOL_TYPE,
  RES_XML_CDATA_TYPE,
  RES_XML_END_ELEMENT_TYPE,
  RES_XML_END_NAMESPACE_TYPE,
  RES_XML_FIRST_CHUNK_TYPE,
  RES_XML_LAST_CHUNK_TYPE,
  RES_XML_RESOURCE_MAP_TYPE,
  RES_XML_START_ELEMENT_TYPE,
  RES_XML_START_NAMESPACE_TYPE,
  RES_XML_TYPE,
  type ChunkHeader,
} from './chunk.js';
import { parseStringPool, type StringPool } from './string-pool.js';
import { RES_TYPE, type XmlAttribute, type XmlElement } from './xml-tree.js';

// ResXMLTree_node: ResChunk_header (8) | 8 u32 lineNumber | 12 u32 comment (string index)
// followed, at headerSize, by the node's extension.
const NODE_HEADER_SIZE = 16;
const NODE_LINE_NUMBER = 8;

// ResXMLTree_namespaceExt: 0 u32 prefix | 4 u32 uri
const NAMESPACE_EXT_SIZE = 8;

// ResXMLTree_attrExt (START_ELEMENT):
//   0 u32 ns | 4 u32 name | 8 u16 attributeStart (from the ext) | 10 u16 attributeSize | 12 u16 attributeCount
//  14 u16 idIndex | 16 u16 classIndex | 18 u16 styleIndex
const ATTR_EXT_SIZE = 20;
const ATTR_EXT_NS = 0;
const ATTR_EXT_NAME = 4;
const ATTR_EXT_START = 8;
const ATTR_EXT_SIZE_FIELD = 10;
const ATTR_EXT_COUNT = 12;

// ResXMLTree_attribute: 0 u32 ns | 4 u32 name | 8 u32 rawValue | 12 Res_value typedValue
// Res_value: 0 u16 size | 2 u8 res0 | 3 u8 dataType | 4 u32 data
const ATTRIBUTE_SIZE = 20;
const ATTRIBUTE_NS = 0;
const ATTRIBUTE_NAME = 4;
const ATTRIBUTE_RAW_VALUE = 8;
const ATTRIBUTE_VALUE_TYPE = 15;
const ATTRIBUTE_VALUE_DATA = 16;

// ResXMLTree_endElementExt: 0 u32 ns | 4 u32 name
const END_ELEMENT_EXT_SIZE = 8;
// ResXMLTree_cdataExt: 0 u32 data | 4 Res_value typedData
const CDATA_EXT_SIZE = 12;
const CDATA_DATA = 0;

export interface AxmlOptions {
  limits?: Limits;
  anomalies?: Anomaly[];
  /** Zip entry name stamped on the anomalies (e.g. 'AndroidManifest.xml'). */
  entry?: string;
}

function bad(message: string, offset?: number): EduscanError {
  return new EduscanError('E_BAD_AXML', message, offset === undefined ? {} : { offset });
}

/** Where the document's chunks end, after checking the ResXMLTree_header. */
function documentEnd(buf: Buffer, notes: AnomalyNotes): { start: number; end: number } {
  if (buf.length < CHUNK_HEADER_SIZE) throw bad(`binary XML: expected at least ${CHUNK_HEADER_SIZE} bytes, found ${buf.length}`);
  let first = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) first = 3;
  if (buf[first] === 0x3c /* '<' */) throw bad('binary XML: found a text XML document instead', 0);
  const head = readChunkHeader(buf, 0, buf.length)!;
  if (head.type !== RES_XML_TYPE) {
    // Android's ResXMLTree::setTo never checks this type; hardened packages set it to 0.
    notes.add('AXML_HEADER_TYPE', `document header type is ${hex(head.type)}, expected ${hex(RES_XML_TYPE)}`, 0);
  }
  let end = head.size;
  if (end > buf.length || end < CHUNK_HEADER_SIZE * 2) {
    notes.add('AXML_DOCUMENT_SIZE', `document header claims ${head.size} bytes, the file has ${buf.length}`, 0);
    end = buf.length;
  } else if (end < buf.length) {
    notes.add('AXML_TRAILING_BYTES', `${buf.length - end} bytes after the end of the document`, end);
  }
  let start = head.headerSize;
  if (start < CHUNK_HEADER_SIZE || start >= end) {
    notes.add('AXML_HEADER_SIZE', `document header size ${head.headerSize} is unusable; assuming ${CHUNK_HEADER_SIZE}`, 0);
    start = CHUNK_HEADER_SIZE;
  } else if (start > CHUNK_HEADER_SIZE) {
    notes.add('AXML_HEADER_SIZE', `document header size ${head.headerSize} is larger than ${CHUNK_HEADER_SIZE}`, 0);
  }
  return { start, end };
}

interface ResourceMap {
  offset: number;
  count: number;
}

/**
 * Decodes a binary XML document and returns its root element. Anomalies go to `opts.anomalies`;
 * `opts.limits.maxNestingDepth`, `maxXmlElements` and `maxXmlAttributes` raise a LimitError.
 */
export function parseAxml(buf: Buffer, opts: AxmlOptions = {}): XmlElement {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const notes = new AnomalyNotes(opts.anomalies ?? [], 'AXML', opts.entry);
  const { start, end } = documentEnd(buf, notes);

  // Phase 1, as in ResXMLTree::setTo: the string pool and resource map come before the first node;
  // the last of each wins, anything else is skipped by its size.
  let pool: StringPool | undefined;
  let resMap: ResourceMap | undefined;
  let p = start;
  let firstNode: number | undefined;
  while (p + CHUNK_HEADER_SIZE <= end) {
    const c = readChunkHeader(buf, p, end)!;
    const problem = chunkProblem(c, CHUNK_HEADER_SIZE, end);
    if (problem) {
      if (pool === undefined) throw bad(`binary XML: ${problem}, before any string pool, at offset ${p}`, p);
      notes.add('AXML_BAD_CHUNK', `${problem}; the rest of the document is ignored`, p);
      break;
    }
    if (c.type === RES_STRING_POOL_TYPE) {
      if (pool !== undefined) notes.add('AXML_SECOND_STRING_POOL', 'more than one string pool; the last one is used, as Android does', p);
      pool = parseStringPool(buf.subarray(0, end), c, 'E_BAD_AXML', notes);
    } else if (c.type === RES_XML_RESOURCE_MAP_TYPE) {
      resMap = { offset: p + c.headerSize, count: Math.floor((c.size - c.headerSize) / 4) };
    } else if (c.type >= RES_XML_FIRST_CHUNK_TYPE && c.type <= RES_XML_LAST_CHUNK_TYPE) {
      firstNode = p;
      break;
    } else {
      notes.add('AXML_UNKNOWN_CHUNK', `skipped a chunk of type ${hex(c.type)} (${c.size} bytes)`, p);
    }
    p += c.size;
  }
  if (pool === undefined) throw bad('binary XML: no string pool before the first element', start);
  if (firstNode === undefined) throw bad('binary XML: no element in the document', start);

  return new TreeBuilder(buf, end, pool, resMap, limits, notes).build(firstNode);
}

class TreeBuilder {
  private readonly stack: XmlElement[] = [];
  private root: XmlElement | undefined;
  private elements = 0;
  private attributes = 0;
  private readonly oddNamespaces = new Set<string>();
  /** Codes already noted once for this document (layout quirks repeated in every node). */
  private readonly noted = new Set<string>();

  constructor(
    private readonly buf: Buffer,
    private readonly end: number,
    private readonly pool: StringPool,
    private readonly resMap: ResourceMap | undefined,
    private readonly limits: Limits,
    private readonly notes: AnomalyNotes,
  ) {}

  build(firstNode: number): XmlElement {
    let p = firstNode;
    while (p + CHUNK_HEADER_SIZE <= this.end) {
      const c = readChunkHeader(this.buf, p, this.end)!;
      // Only nodes we read need the 16-byte node header; anything else is skipped by its size.
      const isKnownNode = c.type >= RES_XML_START_NAMESPACE_TYPE && c.type <= RES_XML_CDATA_TYPE;
      const problem = chunkProblem(c, isKnownNode ? NODE_HEADER_SIZE : CHUNK_HEADER_SIZE, this.end);
      if (problem) {
        // Android stops here too (BAD_DOCUMENT); without a size there is no next chunk to go to.
        this.notes.add('AXML_BAD_CHUNK', `${problem}; the rest of the document is ignored`, p);
        break;
      }
      this.node(c);
      p += c.size;
    }
    if (p < this.end && p + CHUNK_HEADER_SIZE > this.end) {
      this.notes.add('AXML_TRAILING_BYTES', `${this.end - p} bytes after the last chunk`, p);
    }
    if (this.root === undefined) throw bad('binary XML: no start element in the document', firstNode);
    if (this.stack.length > 0) {
      this.notes.add('AXML_UNCLOSED_ELEMENT', `${this.stack.length} elements are not closed at the end of the document`);
    }
    return this.root;
  }

  private noteOnce(code: string, detail: string, offset: number): void {
    if (this.noted.has(code)) return;
    this.noted.add(code);
    this.notes.add(code, detail, offset);
  }

  private node(c: ChunkHeader): void {
    if (c.headerSize !== NODE_HEADER_SIZE && c.type >= RES_XML_START_NAMESPACE_TYPE && c.type <= RES_XML_CDATA_TYPE) {
      // Android finds the extension at headerSize; aapt always writes 16. A hardening tool's fingerprint.
      this.noteOnce('AXML_NODE_HEADER_SIZE', `node header size ${c.headerSize}, expected ${NODE_HEADER_SIZE}`, c.offset);
    }
    const ext = c.offset + c.headerSize;
    const extSize = c.size - c.headerSize;
    const need = (n: number, what: string): boolean => {
      if (extSize >= n) return true;
      this.notes.add('AXML_SHORT_NODE', `${what} node has ${extSize} bytes after its header, needs ${n}; skipped`, c.offset);
      return false;
    };
    switch (c.type) {
      case RES_XML_START_NAMESPACE_TYPE:
      case RES_XML_END_NAMESPACE_TYPE:
        // Prefixes are not needed: attributes carry their namespace URI themselves.
        need(NAMESPACE_EXT_SIZE, 'namespace');
        return;
      case RES_XML_START_ELEMENT_TYPE:
        if (need(ATTR_EXT_SIZE, 'start element')) this.startElement(c, ext);
        return;
      case RES_XML_END_ELEMENT_TYPE:
        if (!need(END_ELEMENT_EXT_SIZE, 'end element')) return;
        if (this.stack.length === 0) {
          this.notes.add('AXML_UNBALANCED_END', 'an end tag without a matching start tag; ignored', c.offset);
        } else {
          this.stack.pop();
        }
        return;
      case RES_XML_CDATA_TYPE:
        if (need(CDATA_EXT_SIZE, 'text')) this.text(c, ext);
        return;
      default:
        // ResXMLParser::nextNode logs "Unknown XML block" and moves on.
        this.notes.add('AXML_UNKNOWN_CHUNK', `skipped a chunk of type ${hex(c.type)} (${c.size} bytes)`, c.offset);
    }
  }

  private startElement(c: ChunkHeader, ext: number): void {
    const buf = this.buf;
    this.elements++;
    if (this.elements > this.limits.maxXmlElements) {
      throw new LimitError('maxXmlElements', `binary XML: more than ${this.limits.maxXmlElements} elements`, { offset: c.offset });
    }
    if (this.stack.length + 1 > this.limits.maxNestingDepth) {
      throw new LimitError('maxNestingDepth', `binary XML: elements nested deeper than ${this.limits.maxNestingDepth}`, { offset: c.offset });
    }
    const element: XmlElement = {
      name: this.string(buf.readUInt32LE(ext + ATTR_EXT_NAME), 'element name', c.offset) ?? '',
      attributes: [],
      children: [],
      lineNumber: buf.readUInt32LE(c.offset + NODE_LINE_NUMBER),
    };
    const ns = this.optionalString(buf.readUInt32LE(ext + ATTR_EXT_NS), 'element namespace', c.offset);
    if (ns !== undefined) element.namespace = ns;

    const attrStart = ext + buf.readUInt16LE(ext + ATTR_EXT_START);
    let stride = buf.readUInt16LE(ext + ATTR_EXT_SIZE_FIELD);
    let count = buf.readUInt16LE(ext + ATTR_EXT_COUNT);
    const chunkEnd = c.offset + c.size;
    if (count > 0 && stride < ATTRIBUTE_SIZE) {
      this.notes.add('AXML_ATTRIBUTE_SIZE', `attribute size ${stride} is below ${ATTRIBUTE_SIZE}; reading ${ATTRIBUTE_SIZE}-byte attributes`, c.offset);
      stride = ATTRIBUTE_SIZE;
    } else if (count > 0 && stride !== ATTRIBUTE_SIZE) {
      // Android steps by attributeSize; aapt always writes 20. A hardening tool's fingerprint.
      this.noteOnce('AXML_ATTRIBUTE_SIZE', `attribute size ${stride}, expected ${ATTRIBUTE_SIZE}`, c.offset);
    }
    if (count > 0) {
      // Attributes past the chunk are dropped (Android refuses the whole document).
      const fit = attrStart + ATTRIBUTE_SIZE > chunkEnd ? 0 : Math.floor((chunkEnd - attrStart - ATTRIBUTE_SIZE) / stride) + 1;
      if (fit < count) {
        this.notes.add('AXML_ATTRIBUTES_TRUNCATED', `element declares ${count} attributes, only ${fit} fit in its chunk`, c.offset);
        count = fit;
      }
    }
    this.attributes += count;
    if (this.attributes > this.limits.maxXmlAttributes) {
      throw new LimitError('maxXmlAttributes', `binary XML: more than ${this.limits.maxXmlAttributes} attributes`, { offset: c.offset });
    }
    for (let i = 0; i < count; i++) element.attributes.push(this.attribute(attrStart + i * stride));

    const parent = this.stack[this.stack.length - 1];
    if (parent) parent.children.push(element);
    else if (this.root === undefined) this.root = element;
    else this.notes.add('AXML_EXTRA_ROOT', `a second top-level element <${element.name}> is ignored`, c.offset);
    this.stack.push(element);
  }

  /** Character data goes to the innermost open element; text outside the root is dropped. */
  private text(c: ChunkHeader, ext: number): void {
    const element = this.stack[this.stack.length - 1];
    if (!element) return;
    const s = this.optionalString(this.buf.readUInt32LE(ext + CDATA_DATA), 'text', c.offset);
    if (s !== undefined) element.text = (element.text ?? '') + s;
  }

  private attribute(at: number): XmlAttribute {
    const buf = this.buf;
    const nameIndex = buf.readUInt32LE(at + ATTRIBUTE_NAME);
    const resourceId = this.resourceIdOf(nameIndex);
    // Obfuscators blank or break attribute names; Android matches android: attributes by resource id.
    let name = this.pool.get(nameIndex);
    if (name === undefined) {
      this.notes.add(
        'AXML_STRING_INDEX',
        `attribute name index ${nameIndex} is not in the ${this.pool.count}-string pool${resourceId ? `; resource id ${hex(resourceId, 8)} kept` : ''}`,
        at,
      );
      name = '';
    }
    const type = buf[at + ATTRIBUTE_VALUE_TYPE]!;
    const data = buf.readUInt32LE(at + ATTRIBUTE_VALUE_DATA);
    const attr: XmlAttribute = { name, value: { type, data } };
    const ns = this.optionalString(buf.readUInt32LE(at + ATTRIBUTE_NS), 'attribute namespace', at);
    if (ns !== undefined) {
      attr.namespace = ns;
      if (!ns.includes(':') && !this.oddNamespaces.has(ns)) {
        this.oddNamespaces.add(ns);
        this.notes.add('AXML_NAMESPACE_NOT_URI', `attribute namespace written as "${ns.slice(0, 80)}" instead of a URI`, at);
      }
    }
    if (resourceId) attr.resourceId = resourceId;
    const raw = this.optionalString(buf.readUInt32LE(at + ATTRIBUTE_RAW_VALUE), 'attribute raw value', at);
    if (raw !== undefined) attr.rawValue = raw;
    if (type === RES_TYPE.STRING) {
      const s = this.string(data, 'attribute string value', at);
      if (s !== undefined) attr.value.string = s;
    }
    return attr;
  }

  private resourceIdOf(nameIndex: number): number | undefined {
    if (!this.resMap || nameIndex >= this.resMap.count) return undefined;
    const id = this.buf.readUInt32LE(this.resMap.offset + nameIndex * 4);
    return id === 0 ? undefined : id;
  }

  private string(index: number, what: string, offset: number): string | undefined {
    const s = this.pool.get(index);
    if (s === undefined) this.notes.add('AXML_STRING_INDEX', `${what} index ${index} is not in the ${this.pool.count}-string pool`, offset);
    return s;
  }

  private optionalString(index: number, what: string, offset: number): string | undefined {
    return index === NO_INDEX ? undefined : this.string(index, what, offset);
  }
}
