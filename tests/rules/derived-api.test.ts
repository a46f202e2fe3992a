// derived.apiCategories: the permission map's apiCategories turn the code's sensitive APIs into indicative
// evidence per box, one line per API and owner, never more than the cap.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeHashPool } from '../../src/hash/hash.js';
import { deriveFacts } from '../../src/rules/derived.js';
import { loadRuleSet } from '../../src/rules/load.js';
import { scanPackage } from '../../src/scan.js';

const SAMPLE = join(import.meta.dirname, '../../samples/ios/eduscan-sample.ipa');

describe('derived.apiCategories', () => {
  afterAll(async () => {
    await closeHashPool();
  });

  it('maps the sample IPA\'s APIs to boxes through the permission map, one line per API and owner', async () => {
    const facts = await scanPackage(SAMPLE);
    const { permissionMap } = loadRuleSet();
    const apis = facts.code!.sensitiveApis;
    expect(apis.length).toBeGreaterThan(0);
    // The same API found again in another bundle (as a framework would show it) adds no line.
    const doubled = { ...facts, code: { ...facts.code!, sensitiveApis: [...apis, ...apis.map((a) => ({ ...a, bundle: 'Frameworks/X.framework' }))] } };
    const d = deriveFacts(doubled, permissionMap);
    const expected = permissionMap.categories
      .filter((c) => apis.some((a) => c.apiCategories?.includes(a.category)))
      .map((c) => ({ label: c.label, apis: [...new Set(apis.filter((a) => c.apiCategories!.includes(a.category)).map((a) => `${a.api}|${a.owner === 'app' ? 'app code' : `SDK ${a.owner}`}`))] }));
    expect(d.apiCategories.map((c) => ({ label: c.label, apis: c.evidence.map((e) => `${e.value}|${e.location}`) }))).toEqual(expected);
    expect(d.apiLabels).toEqual(expected.map((c) => c.label));
    for (const c of d.apiCategories) for (const e of c.evidence) expect(e).toMatchObject({ kind: 'api', strength: 'I' });
  });
});
