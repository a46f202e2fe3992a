// Apart from the zod schema so that scanning does not load zod: the CLI's start-up time is part of the
// scan time for a large package (it has to hide behind the MD5 pass).
export const FACTS_SCHEMA_VERSION = 1;
