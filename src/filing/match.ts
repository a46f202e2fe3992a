// Which app of a record a package is: by package id, else the only app of the package's platform, else the app
// the user names with --app. Works on the parsed record even when it has problems (fill needs that); selectApp
// additionally insists the chosen entry is a valid FiledApp (check needs that).
import { EduscanError } from '../errors.js';
import type { PackageFacts } from '../facts/schema.js';
import { appsPath, rawApps, type FilingDocument } from './load.js';
import { formatPath } from './problems.js';
import { FiledAppSchema, type FiledApp } from './schema.js';

export type MatchedBy = 'name' | 'packageId' | 'platform';

export interface AppLocation {
  index: number;
  by: MatchedBy;
  /** The entry as parsed (it may have problems). */
  raw: Record<string, unknown>;
}

export interface AppMatch extends AppLocation {
  app: FiledApp;
}

/** Apps listed in an error message at most; the rest are counted. */
const MAX_LISTED_APPS = 10;

type Entry = { index: number; raw: Record<string, unknown> };

function describeApps(doc: FilingDocument, entries: Entry[]): string {
  if (entries.length === 0) return 'the record lists no apps';
  const base = formatPath(appsPath(doc.kind));
  const shown = entries.slice(0, MAX_LISTED_APPS).map(({ index, raw }) => {
    const name = typeof raw.name === 'string' ? raw.name : '?';
    const platform = typeof raw.platform === 'string' ? raw.platform : '?';
    const id = typeof raw.packageId === 'string' ? raw.packageId : 'no packageId';
    return `${base}[${index}] ${name} (${platform}, ${id})`;
  });
  const more = entries.length > MAX_LISTED_APPS ? `, and ${entries.length - MAX_LISTED_APPS} more` : '';
  return `the record has ${shown.join('; ')}${more}`;
}

function entriesOf(doc: FilingDocument): Entry[] {
  const apps = rawApps(doc);
  if (!apps) {
    const where = formatPath(appsPath(doc.kind));
    const why = doc.kind === 'use' ? ' (a use filing lists apps only when self-developed: providerFiling.apps)' : '';
    throw new EduscanError('E_NO_APP', `record has no ${where} list${why}`, doc.file === undefined ? {} : { file: doc.file });
  }
  const out: Entry[] = [];
  apps.forEach((a, index) => {
    if (typeof a === 'object' && a !== null && !Array.isArray(a)) out.push({ index, raw: a as Record<string, unknown> });
  });
  return out;
}

/**
 * Whether the record lists apps a package can be matched with: a provider filing always does; a school's use
 * filing only when the app is self-developed (providerFiling.apps). Otherwise the check is package-only, with the
 * use filing as context.
 */
export function namesApps(doc: FilingDocument): boolean {
  return doc.kind === 'provider' || (doc.data?.providerFiling !== undefined);
}

/**
 * Locate the package's app in the record. `opts.app` (--app NAME) wins when given; otherwise the package id,
 * then the platform when exactly one app has it (its package id may differ: the checker reports that mismatch).
 */
export function findApp(doc: FilingDocument, facts: Pick<PackageFacts, 'id' | 'platform'>, opts: { app?: string } = {}): AppLocation {
  const all = entriesOf(doc);
  const fileOpt = doc.file === undefined ? {} : { file: doc.file };
  const pkg = `${facts.id} (${facts.platform})`;
  const pick = (list: Entry[], by: MatchedBy): AppLocation => {
    const e = list[0] as Entry;
    return { index: e.index, by, raw: e.raw };
  };
  const narrow = (list: Entry[]): Entry[] => {
    const byId = list.filter((e) => e.raw.packageId === facts.id);
    if (byId.length === 1) return byId;
    const pool = byId.length > 1 ? byId : list;
    const byPlatform = pool.filter((e) => e.raw.platform === facts.platform);
    return byPlatform.length >= 1 ? byPlatform : pool;
  };

  if (opts.app !== undefined) {
    const named = all.filter((e) => e.raw.name === opts.app);
    if (named.length === 0) throw new EduscanError('E_NO_APP', `no app named ${JSON.stringify(opts.app)}: ${describeApps(doc, all)}`, fileOpt);
    const left = named.length === 1 ? named : narrow(named);
    if (left.length === 1) return pick(left, 'name');
    throw new EduscanError('E_APP_AMBIGUOUS', `${left.length} apps are named ${JSON.stringify(opts.app)} and fit ${pkg}: ${describeApps(doc, left)}`, fileOpt);
  }
  const byId = all.filter((e) => e.raw.packageId === facts.id);
  if (byId.length === 1) return pick(byId, 'packageId');
  if (byId.length > 1) {
    // One id may be filed for both platforms.
    const same = byId.filter((e) => e.raw.platform === facts.platform);
    if (same.length === 1) return pick(same, 'packageId');
    throw new EduscanError('E_APP_AMBIGUOUS', `${byId.length} apps have package id ${facts.id}: ${describeApps(doc, byId)}; pass --app NAME`, fileOpt);
  }
  const byPlatform = all.filter((e) => e.raw.platform === facts.platform);
  if (byPlatform.length === 1) return pick(byPlatform, 'platform');
  if (byPlatform.length > 1) {
    throw new EduscanError('E_APP_AMBIGUOUS', `${byPlatform.length} ${facts.platform} apps and none with package id ${facts.id}: ${describeApps(doc, byPlatform)}; pass --app NAME`, fileOpt);
  }
  throw new EduscanError('E_NO_APP', `no app matches ${pkg}: ${describeApps(doc, all)}; pass --app NAME`, fileOpt);
}

/** findApp, and the entry must be a valid FiledApp (its problems otherwise make the comparison meaningless). */
export function selectApp(doc: FilingDocument, facts: Pick<PackageFacts, 'id' | 'platform'>, opts: { app?: string } = {}): AppMatch {
  const loc = findApp(doc, facts, opts);
  const r = FiledAppSchema.safeParse(loc.raw);
  if (!r.success) {
    const prefix = `${formatPath([...appsPath(doc.kind), loc.index])}`;
    const first = doc.problems.find((p) => p.path.startsWith(prefix));
    const detail = first ? `${first.path}: ${first.en}` : (r.error.issues[0]?.message ?? 'invalid');
    throw new EduscanError('E_RECORD', `${prefix} is not a valid app entry: ${detail}`, doc.file === undefined ? {} : { file: doc.file });
  }
  return { ...loc, app: r.data };
}
