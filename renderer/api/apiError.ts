/**
 * The renderer's error value: the wire error (`{code, message, details?}`) as a throwable, so a
 * react-query error or a rejected operation still carries the server's code and message.
 */
import { type ErrorCode, WireError } from '../../shared/errors.ts';

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static fromWire(raw: unknown): ApiError {
    const parsed = WireError.safeParse(raw);
    if (parsed.success) return new ApiError(parsed.data.code, parsed.data.message, parsed.data.details);
    return new ApiError('INTERNAL', 'The workbench replied with an error it could not describe.');
  }

  static from(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    if (err instanceof DOMException && err.name === 'AbortError')
      return new ApiError('CANCELLED', 'The operation was cancelled.');
    return new ApiError('INTERNAL', err instanceof Error ? err.message : String(err));
  }
}

export const cancelledError = () => new ApiError('CANCELLED', 'The operation was cancelled.');
