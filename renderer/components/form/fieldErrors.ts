/**
 * A form's server-side refusal, split by field: the zod issues of an INVALID_INPUT error (by the
 * first element of each issue's path) and a CONFLICT on the name go under their fields; anything
 * else stays one error for the form.
 */
import type { ApiError } from '../../api/apiError.ts';

export function fieldErrors(
  error: ApiError | null,
  fieldNames: readonly string[],
): { fields: Record<string, string>; rest: ApiError | null } {
  if (!error) return { fields: {}, rest: null };
  if (error.code === 'CONFLICT' && fieldNames.includes('name'))
    return { fields: { name: error.message }, rest: null };
  const issues = (error.details as { issues?: { path?: unknown[]; message?: string }[] } | undefined)?.issues;
  if (error.code === 'INVALID_INPUT' && Array.isArray(issues)) {
    const fields: Record<string, string> = {};
    for (const i of issues) {
      const key = String(i.path?.[0] ?? '');
      if (fieldNames.includes(key) && i.message)
        fields[key] = fields[key] ? `${fields[key]} ${i.message}` : i.message;
    }
    if (Object.keys(fields).length) return { fields, rest: null };
  }
  return { fields: {}, rest: error };
}
