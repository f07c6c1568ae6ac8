/**
 * MLflow's error shape, `{"error_code": "...", "message": "..."}` with its HTTP status, which is
 * what MLflow clients raise as RestException. Workbench errors and zod issues map onto it here,
 * in one place, so every endpoint fails the same way.
 */
import { toWireError } from '../../core/errors.ts';

export type MlflowErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'BAD_REQUEST'
  | 'ENDPOINT_NOT_FOUND'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'PERMISSION_DENIED'
  | 'INTERNAL_ERROR';

export class MlflowError extends Error {
  constructor(
    readonly errorCode: MlflowErrorCode,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'MlflowError';
  }
}

export const invalidParameter = (message: string) => new MlflowError('INVALID_PARAMETER_VALUE', message, 400);

interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
}

/** The body of an error reply and its status. */
export function toMlflowError(err: unknown, input?: unknown): MlflowError {
  if (err instanceof MlflowError) return err;
  if (isZodError(err)) return invalidParameter(describeIssues(err.issues, input));
  const wire = toWireError(err);
  switch (wire.code) {
    case 'NOT_FOUND':
      return new MlflowError('RESOURCE_DOES_NOT_EXIST', wire.message, 404);
    case 'INVALID_INPUT':
      return invalidParameter(wire.message);
    case 'CONFLICT':
      // MLflow answers a duplicate experiment name with 400, not 409.
      return new MlflowError('RESOURCE_ALREADY_EXISTS', wire.message, 400);
    default:
      return new MlflowError('INTERNAL_ERROR', wire.message, 500);
  }
}

function isZodError(err: unknown): err is { issues: ZodIssueLike[] } {
  return typeof err === 'object' && err !== null && (err as { name?: string }).name === 'ZodError';
}

/** MLflow's wording: a missing field is "Missing value for required parameter 'x'". */
function describeIssues(issues: ZodIssueLike[], input: unknown): string {
  return issues
    .slice(0, 3)
    .map((i) => {
      const field = i.path.map(String).join('.');
      if (field && valueAt(input, i.path) === undefined) {
        return `Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`;
      }
      const shown = JSON.stringify(valueAt(input, i.path))?.slice(0, 80);
      return field
        ? `Invalid value ${shown} for parameter '${field}' supplied: ${i.message}`
        : `Invalid request: ${i.message}`;
    })
    .join(' ');
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}
