// The few facts rules read that are computed in code because a condition could not express them (or only
// with Android defaults spelled out in every rule). Keep this list short; everything else is a path into
// `facts`. Documented for rule authors in rules/README.md.
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
}

export const DERIVED_SHAPE: Shape = obj({
  minSdk: SCALAR,
  targetSdk: SCALAR,
  launcherActivities: arr(SCALAR),
  unclassifiedPermissions: arr(SCALAR),
});

const ACTION_MAIN = 'android.intent.action.MAIN';
const LAUNCHER_CATEGORIES = ['android.intent.category.LAUNCHER', 'android.intent.category.LEANBACK_LAUNCHER'];
/** Android's default when the manifest has no minSdkVersion. */
const DEFAULT_MIN_SDK = 1;

export function deriveFacts(facts: PackageFacts, map: PermissionMap): DerivedFacts {
  if (facts.platform !== 'android') return { launcherActivities: [], unclassifiedPermissions: [] };
  const minSdk = facts.minSdk ?? DEFAULT_MIN_SDK;
  const launcherActivities = (facts.manifest?.components ?? [])
    .filter((c) => (c.kind === 'activity' || c.kind === 'activity-alias') && c.intentFilters.some((f) => f.actions.includes(ACTION_MAIN) && f.categories.some((x) => LAUNCHER_CATEGORIES.includes(x))))
    .map((c) => c.name);
  const unclassified = new Set<string>();
  for (const p of facts.permissions) if (classifyPermission(facts, map, p.name).kind === 'unclassified') unclassified.add(p.name);
  return { minSdk, targetSdk: facts.targetSdk ?? minSdk, launcherActivities, unclassifiedPermissions: [...unclassified] };
}
