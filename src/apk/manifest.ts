// AndroidManifest.xml element tree -> facts, following PackageParser's rules where they decide a fact
// (exported defaults, class-name expansion, sdk codenames).
import type { Anomaly } from '../errors.js';
import { EduscanError } from '../errors.js';
import type { AndroidManifestFacts, ComponentFacts, PermissionFacts } from '../facts/schema.js';
import { androidAttr, plainAttr, ValueReader, ZH_LOCALES } from './values.js';
import { RES_TYPE, type ResourceResolver, type XmlElement } from './xml-tree.js';

export interface ManifestExtract {
  id: string;
  versionCode?: string;
  versionCodeMajor?: number;
  versionName?: string;
  minSdk?: number;
  minSdkCodename?: string;
  targetSdk?: number;
  targetSdkCodename?: string;
  maxSdk?: number;
  label?: string;
  labelZh?: string;
  permissions: PermissionFacts[];
  manifest: AndroidManifestFacts;
  /** Resource id of @xml/network_security_config, for the caller to load. */
  networkSecurityConfigRef?: number;
}

/** Android 12 (API 31) made android:exported mandatory for components with intent filters. */
const SDK_EXPORTED_REQUIRED = 31;
/** Before API 17 a provider without android:exported was exported. */
const SDK_PROVIDER_PRIVATE_DEFAULT = 17;
/** Codenames (previews) sort after every released level in PackageParser. */
const CODENAME_PATTERN = /^[A-Z][A-Za-z]+$/;

const PROTECTION_BASE = ['normal', 'dangerous', 'signature', 'signatureOrSystem'] as const;
const PROTECTION_FLAGS: readonly [number, string][] = [
  [0x10, 'privileged'], [0x20, 'development'], [0x40, 'appop'], [0x80, 'pre23'], [0x100, 'installer'],
  [0x200, 'verifier'], [0x400, 'preinstalled'], [0x800, 'setup'], [0x1000, 'instant'], [0x2000, 'runtime'],
  [0x4000, 'oem'], [0x8000, 'vendorPrivileged'], [0x10000, 'textClassifier'], [0x100000, 'role'],
];

export function protectionLevelName(level: number): string {
  const base = PROTECTION_BASE[level & 0xf] ?? `0x${(level & 0xf).toString(16)}`;
  const flags = PROTECTION_FLAGS.filter(([bit]) => level & bit).map(([, n]) => n);
  return [base, ...flags].join('|');
}

const INSTALL_LOCATIONS = ['auto', 'internalOnly', 'preferExternal'] as const;
const LAUNCH_MODES = ['standard', 'singleTop', 'singleTask', 'singleInstance', 'singleInstancePerTask'] as const;

function children(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** PackageParser's buildClassName: ".Foo" and "Foo" both become "<package>.Foo". */
export function fullClassName(pkg: string, name: string | undefined): string | undefined {
  if (name === undefined || name === '') return undefined;
  if (name.startsWith('.')) return pkg + name;
  if (!name.includes('.')) return `${pkg}.${name}`;
  return name;
}

export function extractManifest(root: XmlElement, res: ResourceResolver | undefined, anomalies: Anomaly[]): ManifestExtract {
  if (root.name !== 'manifest') {
    throw new EduscanError('E_BAD_AXML', `AndroidManifest.xml: expected root element <manifest>, found <${root.name}>`);
  }
  const v = new ValueReader(res);
  const id = v.string(plainAttr(root, 'package'));
  if (!id) throw new EduscanError('E_BAD_AXML', 'AndroidManifest.xml: <manifest> has no package attribute');

  const out: ManifestExtract = {
    id,
    permissions: [],
    manifest: {
      application: {},
      declaredPermissions: [],
      queries: { packages: [], intents: 0, providers: [] },
      usesFeatures: [],
      usesLibraries: [],
      components: [],
      metaData: [],
    },
  };
  const m = out.manifest;
  const vc = v.int(androidAttr(root, 'versionCode'));
  if (vc !== undefined) out.versionCode = String(vc >>> 0 === vc ? vc : vc >>> 0);
  const vcm = v.int(androidAttr(root, 'versionCodeMajor'));
  if (vcm !== undefined) out.versionCodeMajor = vcm;
  const vn = v.string(androidAttr(root, 'versionName'));
  if (vn !== undefined) out.versionName = vn;
  const shared = v.string(androidAttr(root, 'sharedUserId'));
  if (shared) m.sharedUserId = shared;
  const il = v.int(androidAttr(root, 'installLocation'));
  if (il !== undefined) m.installLocation = INSTALL_LOCATIONS[il] ?? String(il);
  const tsv = v.int(androidAttr(root, 'targetSandboxVersion'));
  if (tsv !== undefined) m.targetSandboxVersion = tsv;

  // uses-sdk: PackageParser reads the first one only.
  const sdk = children(root, 'uses-sdk')[0];
  if (sdk) {
    const min = readSdk(v, sdk, 'minSdkVersion');
    if (min.level !== undefined) out.minSdk = min.level;
    if (min.codename !== undefined) out.minSdkCodename = min.codename;
    const target = readSdk(v, sdk, 'targetSdkVersion');
    if (target.level !== undefined) out.targetSdk = target.level;
    if (target.codename !== undefined) out.targetSdkCodename = target.codename;
    const max = v.int(androidAttr(sdk, 'maxSdkVersion'));
    if (max !== undefined) out.maxSdk = max;
  }
  // The platform treats a missing targetSdkVersion as equal to minSdkVersion, and a missing min as 1.
  const effectiveTarget = out.targetSdk ?? (out.targetSdkCodename ? 10_000 : out.minSdk ?? (out.minSdkCodename ? 10_000 : 1));

  for (const el of root.children) {
    switch (el.name) {
      case 'uses-permission':
      case 'uses-permission-sdk-23':
      case 'uses-permission-sdk-m': {
        const name = v.string(androidAttr(el, 'name'));
        if (!name) {
          anomalies.push({ code: 'MANIFEST_PERMISSION_WITHOUT_NAME', detail: `<${el.name}> without android:name is ignored, as on Android` });
          break;
        }
        const p: PermissionFacts = { name };
        const max = v.int(androidAttr(el, 'maxSdkVersion'));
        if (max !== undefined) p.maxSdkVersion = max;
        if (el.name !== 'uses-permission') p.sdk23 = true;
        out.permissions.push(p);
        break;
      }
      case 'permission': {
        const name = v.string(androidAttr(el, 'name'));
        if (!name) break;
        const level = v.int(androidAttr(el, 'protectionLevel'));
        m.declaredPermissions.push(level === undefined ? { name } : { name, protectionLevel: protectionLevelName(level) });
        break;
      }
      case 'queries':
        for (const q of el.children) {
          if (q.name === 'package') {
            const n = v.string(androidAttr(q, 'name'));
            if (n) m.queries.packages.push(n);
          } else if (q.name === 'intent') {
            m.queries.intents++;
          } else if (q.name === 'provider') {
            const auth = v.string(androidAttr(q, 'authorities'));
            if (auth) m.queries.providers.push(...auth.split(';').filter(Boolean));
          }
        }
        break;
      case 'uses-feature': {
        const name = v.string(androidAttr(el, 'name'));
        if (name) m.usesFeatures.push({ name, required: v.bool(androidAttr(el, 'required')) ?? true });
        break;
      }
      default:
        break;
    }
  }

  const apps = children(root, 'application');
  if (apps.length > 1) anomalies.push({ code: 'MANIFEST_MULTIPLE_APPLICATIONS', detail: `${apps.length} <application> elements; Android reads the first` });
  const app = apps[0];
  if (app) {
    const a = m.application;
    const flag = (name: 'debuggable' | 'allowBackup' | 'usesCleartextTraffic' | 'testOnly' | 'extractNativeLibs' | 'requestLegacyExternalStorage') => {
      const b = v.bool(androidAttr(app, name));
      if (b !== undefined) a[name] = b;
    };
    flag('debuggable');
    flag('allowBackup');
    flag('usesCleartextTraffic');
    flag('testOnly');
    flag('extractNativeLibs');
    flag('requestLegacyExternalStorage');
    const name = fullClassName(id, v.string(androidAttr(app, 'name')));
    if (name) a.name = name;
    const factory = fullClassName(id, v.string(androidAttr(app, 'appComponentFactory')));
    if (factory) a.appComponentFactory = factory;
    const fbc = androidAttr(app, 'fullBackupContent');
    if (fbc) a.fullBackupContent = refName(res, v.ref(fbc)) ?? v.string(fbc) ?? '';
    const der = androidAttr(app, 'dataExtractionRules');
    if (der) a.dataExtractionRules = refName(res, v.ref(der)) ?? v.string(der) ?? '';
    const nscAttr = androidAttr(app, 'networkSecurityConfig');
    const nscRef = v.ref(nscAttr);
    if (nscAttr) {
      a.networkSecurityConfig = refName(res, nscRef) ?? v.string(nscAttr) ?? '';
      if (nscRef !== undefined) out.networkSecurityConfigRef = nscRef;
    }
    const labelAttr = androidAttr(app, 'label');
    const label = v.string(labelAttr, ['']);
    if (label !== undefined) out.label = label;
    if (labelAttr?.value.type === RES_TYPE.REFERENCE) {
      const zh = v.string(labelAttr, ZH_LOCALES);
      if (zh !== undefined && zh !== label) out.labelZh = zh;
    }
    for (const c of app.children) {
      if (c.name === 'meta-data') {
        const n = v.string(androidAttr(c, 'name'));
        if (!n) continue;
        const valueAttr = androidAttr(c, 'value') ?? androidAttr(c, 'resource');
        const value = v.string(valueAttr);
        m.metaData.push(value === undefined ? { name: n } : { name: n, value });
      } else if (c.name === 'uses-library') {
        const n = v.string(androidAttr(c, 'name'));
        if (n) m.usesLibraries.push({ name: n, required: v.bool(androidAttr(c, 'required')) ?? true });
      } else if (isComponentKind(c.name)) {
        const comp = readComponent(v, id, c.name, c, effectiveTarget, anomalies);
        if (comp) m.components.push(comp);
      }
    }
  }
  return out;
}

function readSdk(v: ValueReader, el: XmlElement, name: 'minSdkVersion' | 'targetSdkVersion'): { level?: number; codename?: string } {
  const a = androidAttr(el, name);
  if (!a) return {};
  const n = v.int(a);
  if (n !== undefined) return { level: n };
  const s = v.string(a);
  if (s !== undefined && CODENAME_PATTERN.test(s)) return { codename: s };
  return {};
}

function refName(res: ResourceResolver | undefined, id: number | undefined): string | undefined {
  if (id === undefined) return undefined;
  const n = res?.nameOf(id);
  return n ? `@${n}` : `@0x${id.toString(16).padStart(8, '0')}`;
}

type ComponentKind = ComponentFacts['kind'];
const COMPONENT_KINDS: readonly string[] = ['activity', 'activity-alias', 'service', 'receiver', 'provider'];
function isComponentKind(name: string): name is ComponentKind {
  return COMPONENT_KINDS.includes(name);
}

function readComponent(v: ValueReader, pkg: string, kind: ComponentKind, el: XmlElement, targetSdk: number, anomalies: Anomaly[]): ComponentFacts | undefined {
  const name = fullClassName(pkg, v.string(androidAttr(el, 'name')));
  if (!name) {
    anomalies.push({ code: 'MANIFEST_COMPONENT_WITHOUT_NAME', detail: `<${kind}> without android:name` });
    return undefined;
  }
  const filters = el.children.filter((c) => c.name === 'intent-filter').map((f) => {
    const data = f.children.filter((c) => c.name === 'data');
    const collect = (attr: 'scheme' | 'host' | 'path' | 'pathPrefix' | 'pathPattern') =>
      [...new Set(data.map((d) => v.string(androidAttr(d, attr))).filter((s): s is string => !!s))];
    const out: ComponentFacts['intentFilters'][number] = {
      actions: f.children.filter((c) => c.name === 'action').map((c) => v.string(androidAttr(c, 'name'))).filter((s): s is string => !!s),
      categories: f.children.filter((c) => c.name === 'category').map((c) => v.string(androidAttr(c, 'name'))).filter((s): s is string => !!s),
      schemes: collect('scheme'),
      hosts: collect('host'),
    };
    const paths = [...collect('path'), ...collect('pathPrefix'), ...collect('pathPattern')];
    if (paths.length) out.paths = paths;
    const av = v.bool(androidAttr(f, 'autoVerify'));
    if (av !== undefined) out.autoVerify = av;
    return out;
  });
  const explicit = v.bool(androidAttr(el, 'exported'));
  let exported: boolean;
  if (explicit !== undefined) {
    exported = explicit;
  } else if (kind === 'provider') {
    exported = targetSdk < SDK_PROVIDER_PRIVATE_DEFAULT;
  } else {
    exported = filters.length > 0;
    if (exported && targetSdk >= SDK_EXPORTED_REQUIRED) {
      anomalies.push({ code: 'MANIFEST_EXPORTED_MISSING', detail: `${name} has intent filters but no android:exported; Android 12+ refuses to install such a package (targetSdk ${targetSdk})` });
    }
  }
  const c: ComponentFacts = { kind, name, exported, intentFilters: filters };
  if (explicit !== undefined) c.exportedExplicit = true;
  const enabled = v.bool(androidAttr(el, 'enabled'));
  if (enabled !== undefined) c.enabled = enabled;
  const perm = v.string(androidAttr(el, 'permission'));
  if (perm) c.permission = perm;
  if (kind === 'provider') {
    const rp = v.string(androidAttr(el, 'readPermission'));
    if (rp) c.readPermission = rp;
    const wp = v.string(androidAttr(el, 'writePermission'));
    if (wp) c.writePermission = wp;
    const auth = v.string(androidAttr(el, 'authorities'));
    if (auth) c.authorities = auth.split(';').filter(Boolean);
    const g = v.bool(androidAttr(el, 'grantUriPermissions'));
    if (g !== undefined) c.grantUriPermissions = g;
  }
  if (kind === 'activity' || kind === 'activity-alias') {
    const lm = v.int(androidAttr(el, 'launchMode'));
    if (lm !== undefined) c.launchMode = LAUNCH_MODES[lm] ?? String(lm);
    const ta = androidAttr(el, 'taskAffinity');
    if (ta) c.taskAffinity = v.string(ta) ?? '';
  }
  if (kind === 'activity-alias') {
    const t = fullClassName(pkg, v.string(androidAttr(el, 'targetActivity')));
    if (t) c.targetActivity = t;
  }
  return c;
}
