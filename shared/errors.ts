/**
 * The error shape that crosses every boundary (IPC, HTTP, CLI). Codes are stable: callers branch
 * on them; messages are for people and say what to do next.
 */
import * as z from 'zod';

export const errorCodes = [
  'NOT_FOUND',
  'INVALID_INPUT',
  'CONFLICT',
  'ENGINE_UNAVAILABLE',
  'IO',
  'CANCELLED',
  'INTERNAL',
] as const;
export const ErrorCode = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const WireError = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.unknown().optional(),
});
export type WireError = z.infer<typeof WireError>;

/** A reply over any transport: exactly one of result or error. */
export const WireReply = z.union([z.object({ result: z.unknown() }), z.object({ error: WireError })]);
export type WireReply = z.infer<typeof WireReply>;
