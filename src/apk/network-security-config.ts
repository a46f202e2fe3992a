// res/xml/network_security_config.xml -> facts. Attributes here carry no namespace and no resource id;
// domain names and pins are element text.
import type { NetworkSecurityConfigFacts } from '../facts/schema.js';
import { plainAttr, ValueReader } from './values.js';
import type { ResourceResolver, XmlElement } from './xml-tree.js';

function trustAnchors(v: ValueReader, res: ResourceResolver | undefined, el: XmlElement | undefined): { anchors: string[]; overridePins: boolean } {
  const anchors: string[] = [];
  let overridePins = false;
  for (const ta of el?.children.filter((c) => c.name === 'trust-anchors') ?? []) {
    for (const cert of ta.children.filter((c) => c.name === 'certificates')) {
      const src = plainAttr(cert, 'src');
      const ref = v.ref(src);
      const name = ref !== undefined ? `@${res?.nameOf(ref) ?? `0x${ref.toString(16)}`}` : v.string(src);
      if (name) anchors.push(name);
      if (v.bool(plainAttr(cert, 'overridePins'))) overridePins = true;
    }
  }
  return { anchors, overridePins };
}

export function readNetworkSecurityConfig(root: XmlElement, source: string, res: ResourceResolver | undefined): NetworkSecurityConfigFacts {
  const v = new ValueReader(res);
  const base = root.children.find((c) => c.name === 'base-config');
  const baseTa = trustAnchors(v, res, base);
  const facts: NetworkSecurityConfigFacts = {
    source,
    baseTrustAnchors: baseTa.anchors,
    domains: [],
    trustsUserCerts: baseTa.anchors.includes('user'),
    overridePins: baseTa.overridePins,
  };
  const baseClear = v.bool(plainAttr(base ?? root, 'cleartextTrafficPermitted'));
  if (base && baseClear !== undefined) facts.baseCleartextPermitted = baseClear;
  // domain-config elements nest; each inherits nothing we report, so flatten them.
  const walk = (el: XmlElement) => {
    for (const dc of el.children.filter((c) => c.name === 'domain-config')) {
      const ta = trustAnchors(v, res, dc);
      const pinSet = dc.children.find((c) => c.name === 'pin-set');
      const entry: NetworkSecurityConfigFacts['domains'][number] = {
        domains: dc.children.filter((c) => c.name === 'domain').map((d) => (d.text ?? '').trim()).filter(Boolean),
        includeSubdomains: dc.children.some((d) => d.name === 'domain' && v.bool(plainAttr(d, 'includeSubdomains')) === true),
        trustAnchors: ta.anchors,
        pins: pinSet ? pinSet.children.filter((c) => c.name === 'pin').length : 0,
        overridePins: ta.overridePins,
      };
      const clear = v.bool(plainAttr(dc, 'cleartextTrafficPermitted'));
      if (clear !== undefined) entry.cleartextPermitted = clear;
      const exp = pinSet ? v.string(plainAttr(pinSet, 'expiration')) : undefined;
      if (exp) entry.pinExpiration = exp;
      facts.domains.push(entry);
      if (ta.anchors.includes('user')) facts.trustsUserCerts = true;
      if (ta.overridePins) facts.overridePins = true;
      walk(dc);
    }
  };
  walk(root);
  const debug = root.children.find((c) => c.name === 'debug-overrides');
  if (debug) facts.debugOverrides = { trustAnchors: trustAnchors(v, res, debug).anchors };
  return facts;
}
