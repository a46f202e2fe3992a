// The few facts rules read that are computed in code because a condition could not express them (or only
// with Android defaults spelled out in every rule). Keep this list short; everything else is a path into
// `facts`. Documented for rule authors in rules/README.md.
import type { Evidence } from '../check/types.js';
import type { PackageFacts } from '../facts/schema.js';
import type { PermissionMap } from './types.js';
import { arr, obj, SCALAR, type Shape } from './paths.js';
import { classifyPermission } from './categories.js';

export interface DerivedFacts {
  /** Android: minSdk, or 1 when <uses-sdk> does not say (the platform default). */
  minSdk?: number;
  /** Android: targetSdk, or the effective minSdk when absent (the platform default). */
  targetSdk?: number;
  /** Android: activities and activity-aliases with an intent filter MAIN + LAUNCHER (or LEANBACK_LAUNCHER). */
  launcherActivities: string[];
  /** Android: requested permissions the permission map does not know and that tick no box (vendor/SDK ones). */
  unclassifiedPermissions: string[];
  /**
   * Boxes the code's sensitive APIs point to (permission map `apiCategories`), each with indicative (I)
   * evidence: the API, and the SDK or app code that refers to it. Never ticks a box by itself.
   */
  apiCategories: { label: string; evidence: Evidence[] }[];
  /** Labels of apiCategories, for `in` / `notIn` comparisons. */
  apiLabels: string[];
  /** Boxes the sensitive-API data covers at all (have apiCategories in the map), 其它 excepted. */
  apiCoveredLabels: string[];
}

const EVIDENCE_SHAPE: Shape = obj({ kind: SCALAR, value: SCALAR, location: SCALAR, strength: SCALAR });

export const DERIVED_SHAPE: Shape = obj({
  minSdk: SCALAR,
  targetSdk: SCALAR,
  launcherActivities: arr(SCALAR),
  unclassifiedPermissions: arr(SCALAR),
  apiCategories: arr(obj({ label: SCALAR, evidence: arr(EVIDENCE_SHAPE) })),
  apiLabels: arr(SCALAR),
  apiCoveredLabels: arr(SCALAR),
});

/** Evidence lines kept per box: the report lists them, a long tail adds nothing. */
const MAX_API_EVIDENCE = 20;

function apiCategories(facts: PackageFacts, map: PermissionMap): Pick<DerivedFacts, 'apiCategories' | 'apiLabels' | 'apiCoveredLabels'> {
  const covered = map.categories.filter((c) => c.apiCategories?.length && c.label !== '其它').map((c) => c.label);
  const apis = facts.code?.sensitiveApis ?? [];
  const out: DerivedFacts['apiCategories'] = [];
  for (const c of map.categories) {
    if (!c.apiCategories?.length) continue;
    const evidence: Evidence[] = [];
    for (const a of apis) {
      if (evidence.length >= MAX_API_EVIDENCE) break;
      if (!c.apiCategories.includes(a.category)) continue;
      const location = a.owner === 'app' ? 'app code' : `SDK ${a.owner}`;
      // The same API may stand in several bundles (iOS) or dex files: one line per API and owner.
      if (!evidence.some((e) => e.value === a.api && e.location === location)) evidence.push({ kind: 'api', value: a.api, location, strength: 'I' });
    }
    if (evidence.length) out.push({ label: c.label, evidence });
  }
  return { apiCategories: out, apiLabels: out.map((c) => c.label), apiCoveredLabels: covered };
}

const ACTION_MAIN = 'android.intent.action.MAIN';
const LAUNCHER_CATEGORIES = ['android.intent.category.LAUNCHER', 'android.intent.category.LEANBACK_LAUNCHER'];
/** Android's default when the manifest has no minSdkVersion. */
const DEFAULT_MIN_SDK = 1;

export function deriveFacts(facts: PackageFacts, map: PermissionMap): DerivedFacts {
  const api = apiCategories(facts, map);
  if (facts.platform !== 'android') return { launcherActivities: [], unclassifiedPermissions: [], ...api };
  const minSdk = facts.minSdk ?? DEFAULT_MIN_SDK;
  const launcherActivities = (facts.manifest?.components ?? [])
    .filter((c) => (c.kind === 'activity' || c.kind === 'activity-alias') && c.intentFilters.some((f) => f.actions.includes(ACTION_MAIN) && f.categories.some((x) => LAUNCHER_CATEGORIES.includes(x))))
    .map((c) => c.name);
  const unclassified = new Set<string>();
  for (const p of facts.permissions) if (classifyPermission(facts, map, p.name).kind === 'unclassified') unclassified.add(p.name);
  return { minSdk, targetSdk: facts.targetSdk ?? minSdk, launcherActivities, unclassifiedPermissions: [...unclassified], ...api };
}
