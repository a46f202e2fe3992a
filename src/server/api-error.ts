// Errors the API answers with: an HTTP status and a stable code. EduscanError codes (E_NOT_ZIP, E_RECORD...)
// pass through as 422; the codes below belong to the service.
export const API_CODES = {
  E_AUTH: 'no valid token or session',
  E_FORBIDDEN: 'the token role may not do this',
  E_NOT_FOUND: 'no such scan (or not yours)',
  E_BAD_REQUEST: 'the request is malformed',
  E_TOO_LARGE: 'the upload exceeds the size cap',
  E_QUEUE_FULL: 'the scan queue is full; retry later',
  E_SHUTTING_DOWN: 'the server is shutting down',
  E_INTERNAL: 'a bug in eduscan',
} as const;
export type ApiCode = keyof typeof API_CODES;

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: ApiCode | string, message: string) {
    super(message);
  }
}
