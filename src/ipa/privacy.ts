// PrivacyInfo.xcprivacy (privacy manifest): tracking flag and domains, collected data types and the
// required-reason APIs a bundle uses. Wrong types are skipped, as Xcode's report generator does.
import type { PrivacyManifestFacts } from '../facts/ios-schema.js';
import { bool, isDict, str, strArray, type PlistValue } from './plist.js';

export function privacyManifestFacts(value: PlistValue, entry: string, bundle: string, bundleId: string | undefined): PrivacyManifestFacts {
  const d = isDict(value) ? value : undefined;
  const collected: PrivacyManifestFacts['collectedDataTypes'] = [];
  const accessed: PrivacyManifestFacts['accessedApiTypes'] = [];
  if (d && Array.isArray(d.NSPrivacyCollectedDataTypes)) {
    for (const item of d.NSPrivacyCollectedDataTypes) {
      if (!isDict(item)) continue;
      const type = str(item.NSPrivacyCollectedDataType);
      if (type === undefined) continue;
      collected.push({
        type,
        linked: bool(item.NSPrivacyCollectedDataTypeLinked),
        tracking: bool(item.NSPrivacyCollectedDataTypeTracking),
        purposes: strArray(item.NSPrivacyCollectedDataTypePurposes),
      });
    }
  }
  if (d && Array.isArray(d.NSPrivacyAccessedAPITypes)) {
    for (const item of d.NSPrivacyAccessedAPITypes) {
      if (!isDict(item)) continue;
      const type = str(item.NSPrivacyAccessedAPIType);
      if (type === undefined) continue;
      accessed.push({ type, reasons: strArray(item.NSPrivacyAccessedAPITypeReasons) });
    }
  }
  return {
    entry,
    bundle,
    bundleId,
    tracking: d ? bool(d.NSPrivacyTracking) : undefined,
    trackingDomains: d ? strArray(d.NSPrivacyTrackingDomains) : [],
    collectedDataTypes: collected,
    accessedApiTypes: accessed,
  };
}
