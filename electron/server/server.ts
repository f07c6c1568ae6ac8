/**
 * Browser mode: the built renderer and the API on 127.0.0.1, for where Electron cannot run and for
 * Playwright. The API is the same method table as IPC:
 *   POST /api/invoke/<method>   JSON params → {result} | {error}
 *   GET  /api/events            WebSocket of {topic, payload} frames
 *   POST /api/uploads           → {upload}; PUT /api/uploads/<id>?path=REL streams one dropped file;
 *   DELETE /api/uploads/<id>    drops a session (a cancelled drop); dead servers' sessions go at start
 *   GET  /api/runs/<id>/artifacts/<path>   downloads a file a run left in /workbench/output
 * No CORS headers are ever sent, bodies are size-limited, and every request is authenticated.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer } from 'ws';
import type { ErrorCode } from '../../shared/errors.ts';
import type { Api } from '../core/api.ts';
import { normalizeRelPath } from '../core/datasets/sourceWalker.ts';
import { toWireError, WorkbenchError } from '../core/errors.ts';
import { removeAbandonedScratch } from '../core/objects/storeMaintenance.ts';
import { readStream } from '../core/training/runRecord.ts';
import { uploadDir } from '../core/uploads.ts';
import type { Workbench } from '../core/workbench.ts';
import {
  COOKIE,
  hostAllowed,
  isAuthorized,
  newToken,
  originAllowed,
  sameToken,
  securityHeaders,
} from './httpSecurity.ts';
import { createMlflowHandler, mlflowPath } from './mlflow/mlflowRouter.ts';
import { serveStatic } from './staticFiles.ts';

const JSON_BODY_LIMIT = 4 * 1024 * 1024;
const UPLOAD_FILE_LIMIT = 64 * 1024 ** 3;

const STATUS: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  CONFLICT: 409,
  ENGINE_UNAVAILABLE: 503,
  IO: 500,
  CANCELLED: 409,
  INTERNAL: 500,
};

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export async function startServer(
  wb: Workbench,
  api: Api,
  opts: { port?: number; rendererDir: string; token?: string },
): Promise<RunningServer> {
  const token = opts.token ?? newToken();
  let port = 0;
  const mlflow = createMlflowHandler(wb.tracking, {
    onChange: (entities) => wb.events.changed(...entities),
    registry: wb.registry,
  });

  const server = http.createServer((req, res) => {
    securityHeaders(res);
    handle(req, res).catch((err) => {
      // A request refused before its body was read: close the connection rather than leave the
      // rest of the body to be parsed as the next request.
      if (!req.complete) res.setHeader('Connection', 'close');
      sendError(res, err);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req, port)) return sendPlain(res, 421, 'Unknown host. Open the address mlwb printed.');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);

    if (req.method === 'GET' && url.searchParams.has('token')) {
      if (!sameToken(url.searchParams.get('token') ?? '', token))
        return sendPlain(res, 401, 'That link has an old token. Use the address mlwb printed this time.');
      res.setHeader('Set-Cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      url.searchParams.delete('token');
      res.writeHead(303, { Location: localPath(url) });
      return void res.end();
    }
    if (!isAuthorized(req, token)) {
      return sendPlain(
        res,
        401,
        'Not signed in. Open the address that `mlwb ui` (or npm start) printed, with its ?token=.',
      );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && !originAllowed(req, port)) {
      return sendPlain(res, 403, 'Cross-origin requests are not accepted.');
    }
    // The MLflow REST subset (MLflow's JSON and error shapes), behind the same token.
    const mlflowRoute = mlflowPath(url.pathname);
    if (mlflowRoute !== undefined) return mlflow(req, res, mlflowRoute);

    if (url.pathname.startsWith('/api/invoke/') && req.method === 'POST') {
      const method = decodePathPart(url.pathname.slice('/api/invoke/'.length));
      const params = await readJson(req);
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      const result = await api.invoke(method, params, { signal: abort.signal });
      return sendJson(res, 200, { result });
    }
    if (url.pathname === '/api/uploads' && req.method === 'POST') {
      // The pid prefix lets a later start (or gc) tell abandoned sessions from live ones.
      const upload = `${process.pid}-${randomBytes(12).toString('hex')}`;
      fs.mkdirSync(uploadDir(wb.home, upload), { recursive: true });
      return sendJson(res, 200, { result: { upload } });
    }
    const m = /^\/api\/uploads\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === 'PUT') {
      return receiveFile(req, res, uploadDir(wb.home, m[1]!), url.searchParams.get('path') ?? '');
    }
    if (m && req.method === 'DELETE') {
      fs.rmSync(uploadDir(wb.home, m[1]!), { recursive: true, force: true });
      return sendJson(res, 200, { result: { deleted: true } });
    }
    const artifact = /^\/api\/runs\/([^/]+)\/artifacts\/(.+)$/.exec(url.pathname);
    if (artifact && (req.method === 'GET' || req.method === 'HEAD')) {
      // Opened without following links or blocking (a run's container wrote it): see containerFiles.ts.
      const file = wb.runs.openArtifact(decodePathPart(artifact[1]!), decodePathPart(artifact[2]!));
      try {
        const name = file.name.replace(/[^\w.-]/g, '_');
        res.writeHead(200, {
          'Content-Type': 'application/octet-stream',
          'Content-Length': file.size,
          'Content-Disposition': `attachment; filename="${name}"`,
        });
        if (req.method === 'HEAD') return void res.end();
        // The size it had when opened is what was promised: a file still growing is cut there.
        return await pipeline(readStream(file), res).catch(() => {
          res.destroy(); // the client went away, or the disk failed mid-file
        });
      } finally {
        file.close();
      }
    }
    if (url.pathname.startsWith('/api/'))
      return sendError(res, new WorkbenchError('NOT_FOUND', `No API route ${url.pathname}.`));
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendPlain(res, 405, 'Method not allowed.');
    return serveStatic(opts.rendererDir, url.pathname, res);
  }

  async function receiveFile(req: IncomingMessage, res: ServerResponse, dir: string, rel: string) {
    if (!fs.existsSync(dir))
      throw new WorkbenchError('NOT_FOUND', 'Unknown upload session; start the drop again.');
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > UPLOAD_FILE_LIMIT)
      throw new WorkbenchError(
        'INVALID_INPUT',
        'That file is larger than 64 GiB; add it with the CLI instead.',
      );
    // A NUL or another control character cannot be in a file name the store writes.
    if (/[\u0000-\u001f\u007f]/.test(rel))
      throw new WorkbenchError(
        'INVALID_INPUT',
        `Invalid path ${JSON.stringify(rel)}: it holds a control character.`,
      );
    const dest = path.join(dir, ...normalizeRelPath(rel).split('/'));
    if (!dest.startsWith(dir + path.sep)) throw new WorkbenchError('INVALID_INPUT', `Invalid path ${rel}.`);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    // Received under a temporary name and renamed only when whole: a connection cut mid-file,
    // or a body shorter than its Content-Length, leaves nothing behind.
    const part = `${dest}.${randomBytes(6).toString('hex')}.part`;
    try {
      await pipeline(req, fs.createWriteStream(part, { flags: 'wx' }));
      const size = fs.statSync(part).size;
      if (!req.complete || (req.headers['content-length'] !== undefined && size !== declared)) {
        throw new WorkbenchError(
          'INVALID_INPUT',
          `The upload of ${rel} was cut short (${size} of ${declared} bytes arrived). Drop the files again.`,
        );
      }
      fs.linkSync(part, dest); // fails if the path was sent before: no file is replaced
      sendJson(res, 200, { result: { path: rel, size } });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        throw new WorkbenchError('CONFLICT', `${rel} was already uploaded in this session.`);
      throw err;
    } finally {
      fs.rmSync(part, { force: true });
    }
  }

  removeAbandonedScratch(wb.home);

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    if (
      !hostAllowed(req, port) ||
      !isAuthorized(req, token) ||
      !originAllowed(req, port) ||
      req.url !== '/api/events'
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const unsubscribe = wb.events.subscribe((topic, payload) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ topic, payload }));
      });
      ws.on('close', unsubscribe);
      ws.on('error', unsubscribe);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new WorkbenchError(
              'CONFLICT',
              `Port ${opts.port} is in use. Pick another with --port, or omit it for a free one.`,
            )
          : err,
      ),
    );
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > JSON_BODY_LIMIT)
      throw Object.assign(new WorkbenchError('INVALID_INPUT', 'Request body too large.'), { status: 413 });
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new WorkbenchError('INVALID_INPUT', 'The request body is not valid JSON.');
  }
}

/** A %-encoded part of a request path; a malformed escape is the client's mistake (400). */
export function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new WorkbenchError('INVALID_INPUT', `The address has a malformed %-escape: ${part.slice(0, 80)}`);
  }
}

/**
 * Where to send the browser after the token link: a path on this server only. `/.//evil.example`
 * parses to the path `//evil.example`, which a browser reads as another host.
 */
function localPath(url: URL): string {
  return `/${url.pathname.replace(/^[/\\]+/, '')}${url.search}`;
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function sendPlain(res: ServerResponse, status: number, text: string) {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

function sendError(res: ServerResponse, err: unknown) {
  const error = toWireError(err);
  const status = (err as { status?: number }).status ?? STATUS[error.code];
  sendJson(res, status, { error });
}
