// Apart from the zod schema so that scanning does not load zod: the CLI's start-up time is part of the
// scan time for a large package (it has to hide behind the MD5 pass).
export const FACTS_SCHEMA_VERSION = 1;

/** Bumped whenever the extracted facts can change for the same bytes (cache key for re-scans). Here rather than
 * in scan.ts so that a re-scan worker, which checks stored facts, does not load the parsers. */
// 3: iOS Objective-C class lists, selectors and defined symbols; SDKs from <meta-data> keys (session 2).
export const PARSER_VERSION = '3';
