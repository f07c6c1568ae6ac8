/** Asserting how a call failed: the error code callers branch on, and the message people read. */
import { expect } from 'vitest';
import type { ErrorCode } from '../../../shared/errors.ts';
import { WorkbenchError } from '../errors.ts';

/**
 * Awaits a promise that must be rejected with a WorkbenchError of `code` (and, when given, a
 * message matching `message`), and returns the error for further checks.
 */
export async function expectErrorCode(
  promise: Promise<unknown>,
  code: ErrorCode,
  message?: RegExp,
): Promise<WorkbenchError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected a ${code} error`).toBeInstanceOf(WorkbenchError);
  expect((err as WorkbenchError).code).toBe(code);
  if (message) expect((err as WorkbenchError).message).toMatch(message);
  return err as WorkbenchError;
}
