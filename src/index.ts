// The library: what the CLI, the registry and the server are built on.
export { scanPackage, PARSER_VERSION, type ScanOptions } from './scan.js';
export {
  PackageFactsSchema,
  FACTS_SCHEMA_VERSION,
  type PackageFacts,
  type AndroidManifestFacts,
  type ComponentFacts,
  type SigningFacts,
  type SignerFacts,
  type CertificateFacts,
  type PermissionFacts,
} from './facts/schema.js';
export { EduscanError, LimitError, ERROR_CODES, isEduscanError, type ErrorCode, type Anomaly } from './errors.js';
export { DEFAULT_LIMITS, type Limits } from './limits.js';
export { startHash, startHashes, closeHashPool, type FileDigests } from './hash/hash.js';
export { renderFactsText, type Lang } from './report/facts-text.js';
export { VERSION } from './version.js';
