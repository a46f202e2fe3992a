// Where the app is inside the archive: Payload/X.app/ (the IPA layout), X.app/ at the root (an .app.zip
// as simulators and Appium use), or <dir>/Payload/X.app/ (an IPA folder zipped by Finder). Finder's
// __MACOSX/ resource-fork copies and AppleDouble "._name" files are decoys and never count.
import { EduscanError } from '../errors.js';
import type { ZipArchive, ZipEntry } from '../zip/zip.js';

export type BundleLayout = 'payload' | 'app-at-root' | 'wrapped-payload';

export interface AppBundle {
  /** Entry-name prefix of the bundle, ending in "/". */
  root: string;
  /** Folder name, e.g. "App.app". */
  name: string;
  layout: BundleLayout;
  /** Entries inside the bundle (decoys excluded), with names relative to `root`. */
  files: Map<string, ZipEntry>;
}

const MACOSX_DIR = '__MACOSX/';
const APPLEDOUBLE_PREFIX = '._';
const PAYLOAD_RE = /^Payload\/([^/]+\.app)\//;
const WRAPPED_PAYLOAD_RE = /^([^/]+)\/Payload\/([^/]+\.app)\//;
const APP_AT_ROOT_RE = /^([^/]+\.app)\//;

/** Finder metadata that must never be taken for app content. */
export function isDecoyEntry(name: string): boolean {
  if (name.startsWith(MACOSX_DIR)) return true;
  return name.split('/').some((c) => c.startsWith(APPLEDOUBLE_PREFIX));
}

function matchRoot(name: string): { root: string; name: string; layout: BundleLayout } | undefined {
  let m = PAYLOAD_RE.exec(name);
  if (m) return { root: m[0], name: m[1] as string, layout: 'payload' };
  m = WRAPPED_PAYLOAD_RE.exec(name);
  if (m) return { root: m[0], name: m[2] as string, layout: 'wrapped-payload' };
  m = APP_AT_ROOT_RE.exec(name);
  if (m) return { root: m[0], name: m[1] as string, layout: 'app-at-root' };
  return undefined;
}

/** Cheap test for the lead's dispatcher: a Payload/ folder or a top-level .app folder. */
export function looksLikeIpaNames(names: Iterable<string>): boolean {
  for (const n of names) {
    if (isDecoyEntry(n)) continue;
    if (n.startsWith('Payload/') || /^[^/]+\/Payload\//.test(n) || matchRoot(n)) return true;
  }
  return false;
}

export function findAppBundle(zip: ZipArchive): AppBundle {
  const roots = new Map<string, { root: string; name: string; layout: BundleLayout }>();
  for (const e of zip.entries) {
    if (isDecoyEntry(e.name)) continue;
    const m = matchRoot(e.name);
    if (m && !roots.has(m.root)) roots.set(m.root, m);
  }
  if (roots.size === 0) {
    throw new EduscanError('E_NO_APP_BUNDLE', `no app bundle: expected Payload/<name>.app/ or <name>.app/ at the top, found ${zip.entries.length} entries and none inside a .app folder`);
  }
  if (roots.size > 1) {
    const list = [...roots.keys()].slice(0, 5).join(', ');
    throw new EduscanError('E_MULTIPLE_APP_BUNDLES', `more than one main app bundle: expected one, found ${roots.size} (${list})`);
  }
  const found = [...roots.values()][0] as { root: string; name: string; layout: BundleLayout };
  const files = new Map<string, ZipEntry>();
  for (const e of zip.entries) {
    if (!e.name.startsWith(found.root) || isDecoyEntry(e.name) || e.name.endsWith('/')) continue;
    const rel = e.name.slice(found.root.length);
    if (!files.has(rel)) files.set(rel, e);
  }
  return { ...found, files };
}
