// The decoded shape of an Android binary XML document (AndroidManifest.xml, res/xml/*.xml), shared by
// the AXML decoder and the code that maps elements to facts.

/** A Res_value as in Android's ResourceTypes.h: type byte, 32-bit data, and the string when it is one. */
export interface TypedValue {
  type: number;
  data: number;
  string?: string;
}

/** Res_value.dataType constants (frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h). */
export const RES_TYPE = {
  NULL: 0x00,
  REFERENCE: 0x01,
  ATTRIBUTE: 0x02,
  STRING: 0x03,
  FLOAT: 0x04,
  DIMENSION: 0x05,
  FRACTION: 0x06,
  DYNAMIC_REFERENCE: 0x07,
  DYNAMIC_ATTRIBUTE: 0x08,
  INT_DEC: 0x10,
  INT_HEX: 0x11,
  INT_BOOLEAN: 0x12,
  INT_COLOR_ARGB8: 0x1c,
  INT_COLOR_RGB8: 0x1d,
  INT_COLOR_ARGB4: 0x1e,
  INT_COLOR_RGB4: 0x1f,
} as const;

export const ANDROID_NS = 'http://schemas.android.com/apk/res/android';

export interface XmlAttribute {
  /** Namespace URI as written (obfuscators sometimes write "android" instead of the URL). */
  namespace?: string;
  /** Name from the string pool; may be blank or garbage in obfuscated files: prefer resourceId. */
  name: string;
  /** From the XML resource map: 0x0101xxxx for android: attributes. */
  resourceId?: number;
  /** The raw string value, when the attribute kept one. */
  rawValue?: string;
  value: TypedValue;
}

export interface XmlElement {
  namespace?: string;
  name: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** Character data inside the element (CDATA chunks), e.g. <domain>example.com</domain>; undefined when none. */
  text?: string;
  lineNumber?: number;
}

/** Looks resource references up in resources.arsc (implemented by the ARSC reader). */
export interface ResourceResolver {
  /**
   * The value of resource `id`, following references (bounded), for the best configuration given the
   * locale preference list (e.g. ['zh-CN', 'zh-Hans', 'zh', ''] — '' is the default configuration).
   */
  resolve(id: number, locales?: readonly string[]): TypedValue | undefined;
  /** "type/name" for a resource id, e.g. "xml/network_security_config"; undefined when unknown. */
  nameOf(id: number): string | undefined;
}
