// Every attribute id eduscan resolves by, checked against the framework's own resource table.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ATTR } from '../../src/apk/android-attrs.js';
import { FRAMEWORK_RES, hasFrameworkRes, hasTool } from '../helpers/tools.js';

describe.skipIf(!hasTool('aapt') || !hasFrameworkRes())('android attribute ids', () => {
  it('match android:attr entries in framework-res.apk', () => {
    const dump = execFileSync('aapt', ['dump', 'resources', FRAMEWORK_RES], { maxBuffer: 256 * 1024 * 1024 }).toString();
    const ids = new Map<string, number>();
    for (const m of dump.matchAll(/spec resource 0x([0-9a-f]{8}) android:attr\/(\w+):/g)) ids.set(m[2]!, parseInt(m[1]!, 16));
    for (const [name, id] of Object.entries(ATTR)) {
      // dataExtractionRules (API 31) is newer than Debian's framework; its id comes from aapt's xmltree of corpus APKs.
      if (!ids.has(name)) {
        expect(name).toBe('dataExtractionRules');
        continue;
      }
      expect([name, id]).toEqual([name, ids.get(name)]);
    }
  });
});
