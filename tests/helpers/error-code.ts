import { expect } from 'vitest';
import { EduscanError } from '../../src/errors.js';

/** The code of the EduscanError `fn` throws (anything else fails the test); undefined when it does not throw. */
export function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EduscanError);
    return (e as EduscanError).code;
  }
  return undefined;
}
