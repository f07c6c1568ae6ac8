/**
 * Errors are values with a stable code and a message that tells the user what to do next.
 * Anything else that escapes a service is reported as INTERNAL without its stack.
 */
import type { ErrorCode, WireError } from '../../shared/errors.ts';

export class WorkbenchError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'WorkbenchError';
  }
}

export const notFound = (message: string, details?: unknown) =>
  new WorkbenchError('NOT_FOUND', message, details);
export const invalidInput = (message: string, details?: unknown) =>
  new WorkbenchError('INVALID_INPUT', message, details);
export const conflict = (message: string, details?: unknown) =>
  new WorkbenchError('CONFLICT', message, details);
export const ioError = (message: string, details?: unknown) => new WorkbenchError('IO', message, details);
export const cancelled = (message = 'The operation was cancelled.') =>
  new WorkbenchError('CANCELLED', message);

/** Turns anything thrown into the wire shape; unknown errors keep their message, never their stack. */
export function toWireError(err: unknown): WireError {
  if (err instanceof WorkbenchError) {
    return err.details === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, details: err.details };
  }
  if (isZodError(err)) {
    const issues = err.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
    return { code: 'INVALID_INPUT', message: issues.join('; '), details: { issues: err.issues } };
  }
  const sys = err as NodeJS.ErrnoException | undefined;
  if (sys && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
    return { code: 'IO', message: describeSystemError(sys) };
  }
  if (sys?.name === 'AbortError') return { code: 'CANCELLED', message: 'The operation was cancelled.' };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

function isZodError(err: unknown): err is { issues: { path: PropertyKey[]; message: string }[] } {
  return typeof err === 'object' && err !== null && (err as { name?: string }).name === 'ZodError';
}

/** A system error as a sentence a user can act on. */
export function describeSystemError(err: NodeJS.ErrnoException): string {
  const where = err.path ? ` ${err.path}` : '';
  switch (err.code) {
    case 'ENOENT':
      return `Nothing exists at${where}. Check the path and try again.`;
    case 'EACCES':
    case 'EPERM':
      return `Permission denied for${where}. Give your user read access or pick another location.`;
    case 'ENOSPC':
      return `The disk is full while writing${where}. Free some space (mlwb gc removes unused blobs) and try again.`;
    case 'ELOOP':
      return `Too many levels of symbolic links at${where}: a link points back into itself.`;
    case 'EISDIR':
      return `Expected a file but found a folder at${where}.`;
    case 'ENOTDIR':
      return `Expected a folder but found a file at${where}.`;
    default:
      return `${err.code} during ${err.syscall}${where}: ${err.message}`;
  }
}
