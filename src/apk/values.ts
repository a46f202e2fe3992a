// Reading typed attribute values the way PackageParser does: a reference is looked up in resources.arsc
// (bounded), strings come from the pool, booleans are any non-zero INT_BOOLEAN.
import { ANDROID_NS, RES_TYPE, type ResourceResolver, type TypedValue, type XmlAttribute, type XmlElement } from './xml-tree.js';
import { ATTR, type AttrName } from './android-attrs.js';

export const ZH_LOCALES = ['zh-CN', 'zh-Hans-CN', 'zh-Hans', 'zh'] as const;

function isAndroidNamespace(ns: string | undefined): boolean {
  return ns === ANDROID_NS || ns === 'android';
}

/** An android: attribute, by resource id first, then by name for files without a resource map. */
export function androidAttr(el: XmlElement, name: AttrName): XmlAttribute | undefined {
  const id = ATTR[name];
  let byName: XmlAttribute | undefined;
  for (const a of el.attributes) {
    if (a.resourceId === id) return a;
    if (byName === undefined && a.name === name && (a.resourceId === undefined || a.resourceId === 0) && isAndroidNamespace(a.namespace)) byName = a;
  }
  return byName;
}

/** An attribute without namespace (manifest `package`, network security config attributes). */
export function plainAttr(el: XmlElement, name: string): XmlAttribute | undefined {
  return el.attributes.find((a) => a.name === name && !a.namespace && (a.resourceId === undefined || a.resourceId === 0))
    ?? el.attributes.find((a) => a.name === name && !isAndroidNamespace(a.namespace));
}

export class ValueReader {
  constructor(private readonly res: ResourceResolver | undefined, private readonly locales: readonly string[] = ['']) {}

  /** Follows a reference to its value; the value itself when it is not a reference. */
  deref(v: TypedValue, locales: readonly string[] = this.locales): TypedValue | undefined {
    if (v.type === RES_TYPE.REFERENCE || v.type === RES_TYPE.DYNAMIC_REFERENCE) {
      if (v.data === 0) return undefined; // @null
      return this.res?.resolve(v.data >>> 0, locales);
    }
    return v;
  }

  string(a: XmlAttribute | undefined, locales?: readonly string[]): string | undefined {
    if (!a) return undefined;
    const v = this.deref(a.value, locales);
    if (!v) return a.value.type === RES_TYPE.REFERENCE ? undefined : a.rawValue;
    return formatValue(v) ?? a.rawValue;
  }

  bool(a: XmlAttribute | undefined): boolean | undefined {
    if (!a) return undefined;
    const v = this.deref(a.value);
    if (!v) return undefined;
    if (v.type === RES_TYPE.INT_BOOLEAN || v.type === RES_TYPE.INT_DEC || v.type === RES_TYPE.INT_HEX) return v.data !== 0;
    if (v.type === RES_TYPE.STRING) {
      if (v.string === 'true') return true;
      if (v.string === 'false') return false;
    }
    return undefined;
  }

  int(a: XmlAttribute | undefined): number | undefined {
    if (!a) return undefined;
    const v = this.deref(a.value);
    if (!v) return undefined;
    if (v.type >= RES_TYPE.INT_DEC && v.type <= RES_TYPE.INT_COLOR_RGB4) return v.data | 0;
    if (v.type === RES_TYPE.STRING && v.string !== undefined && /^-?\d+$/.test(v.string.trim())) return Number(v.string.trim());
    return undefined;
  }

  /** The resource id an attribute points at (e.g. @xml/network_security_config), when it is a reference. */
  ref(a: XmlAttribute | undefined): number | undefined {
    if (!a) return undefined;
    if (a.value.type === RES_TYPE.REFERENCE || a.value.type === RES_TYPE.DYNAMIC_REFERENCE) return a.value.data >>> 0;
    return undefined;
  }
}

/** A typed value as text, as `aapt dump` shows simple values. */
export function formatValue(v: TypedValue): string | undefined {
  switch (v.type) {
    case RES_TYPE.STRING:
      return v.string;
    case RES_TYPE.INT_DEC:
      return String(v.data | 0);
    case RES_TYPE.INT_HEX:
      return `0x${(v.data >>> 0).toString(16)}`;
    case RES_TYPE.INT_BOOLEAN:
      return v.data !== 0 ? 'true' : 'false';
    case RES_TYPE.FLOAT: {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(v.data >>> 0);
      return String(b.readFloatLE(0));
    }
    case RES_TYPE.REFERENCE:
      return `@0x${(v.data >>> 0).toString(16).padStart(8, '0')}`;
    case RES_TYPE.NULL:
      return undefined;
    default:
      if (v.type >= RES_TYPE.INT_COLOR_ARGB8 && v.type <= RES_TYPE.INT_COLOR_RGB4) return `#${(v.data >>> 0).toString(16).padStart(8, '0')}`;
      return String(v.data >>> 0);
  }
}
