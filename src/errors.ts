// One error type for everything a user can cause with a bad input. Code paths branch on `code`,
// never on `message`; the message is one line: what, expected X, found Y (at offset O).

export const ERROR_CODES = {
  E_IO: 'the file cannot be read',
  E_EMPTY: 'the file is empty',
  E_NOT_ZIP: 'not a zip archive',
  E_ZIP_CORRUPT: 'the zip structure is damaged',
  E_ZIP_ENTRY: 'a zip entry cannot be read',
  E_NO_MANIFEST: 'no AndroidManifest.xml in the package',
  E_BAD_AXML: 'the binary XML is damaged',
  E_BAD_ARSC: 'resources.arsc is damaged',
  E_BAD_SIGNATURE: 'a signature block is damaged',
  E_AAB: 'an Android App Bundle (.aab) is not an installable APK',
  E_NOT_PACKAGE: 'neither an APK nor an IPA',
  E_NO_APP_BUNDLE: 'no .app bundle in the IPA',
  E_MULTIPLE_APP_BUNDLES: 'more than one main .app bundle in the IPA',
  E_NO_INFO_PLIST: 'no Info.plist in the app bundle',
  E_BAD_PLIST: 'the property list is damaged',
  E_BAD_MACHO: 'the Mach-O executable is damaged',
  E_BAD_DER: 'the DER/ASN.1 structure is damaged',
  E_BAD_DEX: 'a DEX (Dalvik executable) file is damaged',
  E_LIMIT: 'a safety limit was exceeded',
  E_USAGE: 'the command line is wrong',
  E_CONFIG: 'a configuration or data file is invalid',
  E_RECORD: 'the filing record cannot be read',
  E_NO_APP: 'no app in the filing record matches the package',
  E_APP_AMBIGUOUS: 'more than one app in the filing record matches the package',
  E_CALENDAR: 'a date is outside the years the working-day calendar covers',
  E_DB: 'the registry database cannot be opened or is from a newer eduscan',
  E_BUSY: 'another eduscan process is re-scanning the same registry',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class EduscanError extends Error {
  readonly code: ErrorCode;
  /** Absolute byte offset in the input where the problem was seen, when known. */
  readonly offset: number | undefined;
  /** The package or record file the error is about; filled by the layer that knows it. */
  file: string | undefined;

  constructor(code: ErrorCode, message: string, opts: { offset?: number; cause?: unknown; file?: string } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'EduscanError';
    this.code = code;
    this.offset = opts.offset;
    this.file = opts.file;
  }

  toJSON(): { code: ErrorCode; message: string; offset?: number; file?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.offset === undefined ? {} : { offset: this.offset }),
      ...(this.file === undefined ? {} : { file: this.file }),
    };
  }
}

/** A safety cap (entry count, inflated bytes, nesting depth...) was hit: the input is treated as hostile. */
export class LimitError extends EduscanError {
  readonly limit: string;
  constructor(limit: string, message: string, opts: { offset?: number } = {}) {
    super('E_LIMIT', message, opts);
    this.name = 'LimitError';
    this.limit = limit;
  }
}

export function isEduscanError(e: unknown): e is EduscanError {
  return e instanceof EduscanError;
}

/** Something Android or iOS would tolerate: recorded in the facts, never thrown. */
export interface Anomaly {
  code: string;
  detail: string;
  offset?: number;
  entry?: string;
}
