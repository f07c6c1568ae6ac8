/**
 * Reading an MLflow request: the JSON body (size-limited, tolerant of the bare NaN and Infinity
 * tokens Python's json module writes) or, for GET, the query string as an object.
 */
import type { IncomingMessage } from 'node:http';
import { MlflowError } from './mlflowErrors.ts';

export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(limit: number): MlflowError {
  return new MlflowError(
    'REQUEST_LIMIT_EXCEEDED',
    `The request body is larger than ${limit / 1024 ** 2} MB. Split the data across several requests.`,
    413,
  );
}

/**
 * JSON.parse, and on failure a second try with bare NaN/Infinity/-Infinity (outside strings)
 * quoted, which is how metric values travel in this API. The fast path costs nothing for the
 * clients that already send "NaN" as a string (MLflow's own protobuf JSON does).
 */
export function parseJsonTolerant(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    // fall through to the tolerant pass
  }
  if (/NaN|Infinity/.test(text)) {
    try {
      return JSON.parse(quoteNonFinite(text));
    } catch {
      // fall through to the error below
    }
  }
  throw new MlflowError('BAD_REQUEST', 'The request body is not valid JSON.', 400);
}

const NON_FINITE = ['NaN', 'Infinity', '-Infinity'];
const [QUOTE, BACKSLASH, N, I, MINUS] = [...'"\\NI-'].map((ch) => ch.charCodeAt(0));

/**
 * `text` with the bare NaN, Infinity and -Infinity outside string literals quoted, in one pass. A
 * regular expression that skips string literals (`"(?:[^"\\]|\\.)*"|…`) retries every unterminated
 * one from each quote inside it: quadratic, minutes of the main thread for a 16 MB body of `"\"\"…`,
 * which any client with a run's token can send.
 */
function quoteNonFinite(text: string): string {
  let out = '';
  let from = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // A string literal, to its closing quote (or the end): an escape skips what it escapes.
      i++;
      while (i < text.length && text.charCodeAt(i) !== QUOTE) i += text.charCodeAt(i) === BACKSLASH ? 2 : 1;
      i++;
      continue;
    }
    const token =
      c === N || c === I || c === MINUS ? NON_FINITE.find((t) => text.startsWith(t, i)) : undefined;
    if (token) {
      out += `${text.slice(from, i)}"${token}"`;
      i += token.length;
      from = i;
    } else i++;
  }
  return out + text.slice(from);
}

/** Query parameters as an object; a repeated name (experiment_ids=1&experiment_ids=2) is a list. */
export function queryObject(search: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(search.keys())) {
    const all = search.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}
