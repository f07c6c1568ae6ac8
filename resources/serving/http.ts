/**
 * HTTP plumbing: reading a request body under a byte limit and answering with JSON or text.
 * An over-limit body is refused before a byte of it is read when Content-Length announces it, and
 * as soon as a chunked body grows past the limit; either way the connection is closed after the
 * 413, since the rest of that body would otherwise be read as the next request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './errors.ts';

export function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    `The request body is larger than the server's limit of ${limit} bytes (MLWB_MAX_BODY_BYTES).`,
    {
      Connection: 'close',
    },
  );
}

/** Throws 413 at once when the announced length is over the limit. */
export function checkAnnouncedLength(req: IncomingMessage, limit: number): void {
  const announced = req.headers['content-length'];
  if (announced !== undefined && Number(announced) > limit) throw tooLarge(limit);
}

/** The body as one Buffer (a single chunk is returned without copying). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        chunks.length = 0;
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!refused) reject(new HttpError(400, `The request body could not be read: ${err.message}`));
    });
  });
}

/** The media type of a request, lower-cased, without parameters (`application/json`). */
export function mediaType(req: IncomingMessage): string | undefined {
  const header = req.headers['content-type'];
  if (!header) return undefined;
  const semi = header.indexOf(';');
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/**
 * With a Content-Length, so a small answer goes out in one write, not chunked. The headers go to
 * writeHead at once (merged with any set before), which costs less than one setHeader each.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  headers?: Record<string, string>,
): void {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

export function sendText(res: ServerResponse, status: number, body: string, contentType: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.status, JSON.stringify({ error: err.message }), err.headers);
}
