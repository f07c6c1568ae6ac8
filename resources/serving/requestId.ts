/**
 * A request's id: the key its request log line is written under, which monitoring joins ground
 * truth on. Every inference answer, refusals included, carries it in the X-Request-Id header, so a
 * client always knows it. A client may choose it (that header; for OIP infer, the body's `id`
 * first); the value must go into a header as it is, so only 1–128 characters of `[A-Za-z0-9._:-]`
 * are taken. Anything else in the header is ignored and a fresh UUID used: a proxy's id in another
 * format must not cost the client its answer. A body id that breaks the rule is refused (400),
 * since OIP promises to echo it and the header could not.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'X-Request-Id';

const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

export const REQUEST_ID_RULE = '1–128 characters of A–Z, a–z, 0–9 and . _ : -';

export function isRequestId(value: string): boolean {
  return VALID.test(value);
}

/** The id the client sent in X-Request-Id when it is valid, else a fresh UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const sent = req.headers['x-request-id'];
  return typeof sent === 'string' && VALID.test(sent) ? sent : randomUUID();
}
