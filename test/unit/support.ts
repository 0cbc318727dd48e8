import { expect } from 'vitest';
import { TallyError } from '../../functions/domain/errors.js';

/** Runs `action`, expects a TallyError of the given class, and returns its details for assertions. */
export function detailsOfError(action: () => unknown, type: abstract new (...args: never[]) => TallyError): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return (error as TallyError).details;
  }
  throw new Error('expected the action to throw');
}
