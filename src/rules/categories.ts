// Package facts → the filing form's permission checkboxes, driven by rules/permissions.yaml (the order of the
// decision is documented at the top of that file). Only definite signals tick a box: a requested permission,
// an Info.plist usage key, or a component guarded by a system binding permission.
import { PERMISSION_LABELS, type CategoryDetection, type Evidence, type PermissionLabel } from '../check/types.js';
import type { PackageFacts, PermissionFacts } from '../facts/schema.js';
import type { ComponentMatch, PermissionMap } from './types.js';

const OTHER: PermissionLabel = '其它';
const MANIFEST = 'AndroidManifest.xml';

interface MapIndex {
  byPermission: Map<string, PermissionLabel[]>;
  byUsageKey: Map<string, PermissionLabel[]>;
  components: { match: ComponentMatch; label: PermissionLabel }[];
  noCheckbox: Set<string>;
  prefixes: string[];
  iosOther: RegExp;
}

const indexes = new WeakMap<PermissionMap, MapIndex>();

function add(m: Map<string, PermissionLabel[]>, key: string, label: PermissionLabel): void {
  const have = m.get(key);
  if (!have) m.set(key, [label]);
  else if (!have.includes(label)) have.push(label);
}

function indexOf(map: PermissionMap): MapIndex {
  let ix = indexes.get(map);
  if (ix) return ix;
  ix = {
    byPermission: new Map(),
    byUsageKey: new Map(),
    components: [],
    noCheckbox: new Set(map.android.noCheckbox),
    prefixes: map.android.otherFallbackPrefixes,
    iosOther: new RegExp(map.ios.otherFallbackPattern, 'u'),
  };
  for (const c of map.categories) {
    for (const p of c.android?.permissions ?? []) add(ix.byPermission, p, c.label);
    for (const k of c.ios?.usageKeys ?? []) add(ix.byUsageKey, k, c.label);
    for (const m of c.android?.components ?? []) ix.components.push({ match: m, label: c.label });
  }
  indexes.set(map, ix);
  return ix;
}

export type PermissionClass =
  | { kind: 'category'; labels: PermissionLabel[] }
  | { kind: 'fallback-other' }
  | { kind: 'no-checkbox' }
  | { kind: 'own' }
  | { kind: 'unclassified' };

/** How one requested permission (Android name or iOS usage key) is treated by the map. */
export function classifyPermission(facts: PackageFacts, map: PermissionMap, name: string): PermissionClass {
  const ix = indexOf(map);
  if (facts.platform === 'ios') {
    const labels = ix.byUsageKey.get(name);
    if (labels) return { kind: 'category', labels };
    return ix.iosOther.test(name) ? { kind: 'fallback-other' } : { kind: 'unclassified' };
  }
  const labels = ix.byPermission.get(name);
  if (labels) return { kind: 'category', labels };
  if (ix.noCheckbox.has(name)) return { kind: 'no-checkbox' };
  if (facts.manifest?.declaredPermissions.some((d) => d.name === name)) return { kind: 'own' };
  if (ix.prefixes.some((p) => name.startsWith(p))) return { kind: 'fallback-other' };
  return { kind: 'unclassified' };
}

function permissionLocation(facts: PackageFacts, p: PermissionFacts): string {
  if (facts.platform === 'ios') return facts.ios?.infoPlist.entry ?? 'Info.plist';
  const tag = p.sdk23 ? 'uses-permission-sdk-23' : 'uses-permission';
  // A maxSdkVersion-limited permission still counts (requested on devices up to that API): say so.
  return p.maxSdkVersion === undefined ? `${MANIFEST} <${tag}>` : `${MANIFEST} <${tag} android:maxSdkVersion="${p.maxSdkVersion}">`;
}

export function detectCategories(facts: PackageFacts, map: PermissionMap): CategoryDetection[] {
  const found = new Map<PermissionLabel, Evidence[]>();
  const tick = (label: PermissionLabel, ev: Evidence): void => {
    const list = found.get(label) ?? [];
    if (!list.some((e) => e.kind === ev.kind && e.value === ev.value)) list.push(ev);
    found.set(label, list);
  };
  const kind = facts.platform === 'ios' ? 'usage-key' : 'permission';
  for (const p of facts.permissions) {
    const cls = classifyPermission(facts, map, p.name);
    const ev: Evidence = { kind, value: p.name, location: permissionLocation(facts, p), strength: 'D' };
    if (cls.kind === 'category') for (const l of cls.labels) tick(l, ev);
    else if (cls.kind === 'fallback-other') tick(OTHER, ev);
  }
  if (facts.platform === 'android') {
    for (const c of facts.manifest?.components ?? []) {
      if (c.permission === undefined) continue;
      for (const { match, label } of indexOf(map).components) {
        if (match.permission !== c.permission || (match.kind !== undefined && match.kind !== c.kind)) continue;
        tick(label, { kind: 'component', value: c.name, location: `${MANIFEST} <${c.kind} android:permission="${c.permission}">`, strength: 'D' });
      }
    }
  }
  return PERMISSION_LABELS.filter((l) => found.has(l)).map((label) => ({ label, evidence: found.get(label)! }));
}

/** Detected but not filed (each fails the check), and filed but not detected (a low notice). */
export function compareCategories(detected: CategoryDetection[], filed: readonly PermissionLabel[]): { undeclared: CategoryDetection[]; notDetected: PermissionLabel[] } {
  const filedSet = new Set(filed);
  const detectedSet = new Set(detected.map((d) => d.label));
  return {
    undeclared: detected.filter((d) => !filedSet.has(d.label)),
    notDetected: PERMISSION_LABELS.filter((l) => filedSet.has(l) && !detectedSet.has(l)),
  };
}
