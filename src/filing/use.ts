// What the rules see of the use filings (使用者备案) of an app: which unit uses it, for whom, and whether the
// school requires its pupils to use it (要求使用) — the case in which the filing rules forbid commercial ads
// and games. A use filing names the app by its 教APP备 number (and name); the provider filing's app carries the
// same number once filed.
import { EduscanError } from '../errors.js';
import type { FilingDocument } from './load.js';

/** One use filing as a rule context entry (root `uses`). */
export interface UseContext {
  unit: string;
  usage: string;
  users: string[];
  scenario: string;
  collectiveDecision: boolean;
  agreementSigned: boolean;
  app: string;
  filingNo?: string;
  file?: string;
}

export function useContext(doc: FilingDocument): UseContext {
  if (doc.kind !== 'use' || !doc.data) {
    const why = doc.kind !== 'use' ? 'it is a provider filing' : `it has ${doc.problems.length} problem(s)`;
    throw new EduscanError('E_RECORD', `not a usable use filing: ${why}`, doc.file === undefined ? {} : { file: doc.file });
  }
  const d = doc.data;
  return {
    unit: d.unit.name,
    usage: d.usage,
    users: [...d.users],
    scenario: d.scenario,
    collectiveDecision: d.collectiveDecision,
    agreementSigned: d.agreementSigned,
    app: d.app.name,
    ...(d.app.filingNo !== undefined ? { filingNo: d.app.filingNo } : {}),
    ...(doc.file !== undefined ? { file: doc.file } : {}),
  };
}

/**
 * Whether a use filing is about the provider-filed app: by 教APP备 number when both have one (the number is
 * what the platform links them by), else by name.
 */
export function useIsFor(use: Pick<UseContext, 'app' | 'filingNo'>, app: { name?: unknown; filingNo?: unknown }): boolean {
  if (use.filingNo !== undefined && typeof app.filingNo === 'string' && app.filingNo !== '') return use.filingNo === app.filingNo;
  return use.app === app.name;
}
