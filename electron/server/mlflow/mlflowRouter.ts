/**
 * The MLflow-compatible REST subset (docs/architecture.md §5), as a transport-level handler that any Node
 * HTTP listener can mount under /api/2.0/mlflow/: the browser-mode server, and the listener the
 * run launcher opens for containers. Authentication, the Host check and security headers are the
 * caller's; this file routes, reads the body, holds a run's token to its own run (runScope.ts) and
 * writes MLflow's JSON and error shapes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Entity } from '../../../shared/entities.ts';
import type { RegistryService } from '../../core/registry/registryService.ts';
import type { TrackingRepo } from '../../core/tracking/trackingRepo.ts';
import { type Changed, endpoints } from './mlflowEndpoints.ts';
import { MlflowError, toMlflowError } from './mlflowErrors.ts';
import { type HttpMethod, registryEndpoints } from './mlflowRegistry.ts';
import { DEFAULT_BODY_LIMIT, parseJsonTolerant, queryObject, readBody } from './mlflowRequest.ts';
import { forRun, type RunScope } from './runScope.ts';

export type { RunScope } from './runScope.ts';

/** Where MLflow clients send requests: the REST API, the UI's ajax-api, and the old preview path. */
const PREFIXES = ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/', '/api/2.0/preview/mlflow/'];

/** The endpoint path after the MLflow prefix (`runs/log-batch`), or undefined for other paths. */
export function mlflowPath(pathname: string): string | undefined {
  const prefix = PREFIXES.find((p) => pathname.startsWith(p));
  return prefix === undefined ? undefined : pathname.slice(prefix.length);
}

export interface MlflowHandlerOptions {
  /** Largest accepted body; MLflow's own clients stay far below the 16 MB default. */
  maxBodyBytes?: number;
  /**
   * Told which entities changed (shared/entities.ts), at most every `changeIntervalMs`:
   * a script logging a batch every millisecond must not become a thousand UI refreshes.
   */
  onChange?: (entities: Entity[]) => void;
  changeIntervalMs?: number;
  /** The Model Registry endpoints are served when given. */
  registry?: RegistryService;
}

/**
 * Serves one request. With `scope` (the caller holds a run's token, not the user's) the request
 * is held to what that run may do, or refused with PERMISSION_DENIED.
 */
export type MlflowHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  pathAfterPrefix: string,
  scope?: RunScope,
) => Promise<void>;

export function createMlflowHandler(tracking: TrackingRepo, opts: MlflowHandlerOptions = {}): MlflowHandler {
  const limit = opts.maxBodyBytes ?? DEFAULT_BODY_LIMIT;
  const changed = coalesce(opts.onChange, opts.changeIntervalMs ?? 250);

  return async (req, res, pathAfterPrefix, scope) => {
    let input: unknown;
    try {
      const tracked = Object.hasOwn(endpoints, pathAfterPrefix) ? endpoints[pathAfterPrefix] : undefined;
      const registered =
        opts.registry && Object.hasOwn(registryEndpoints, pathAfterPrefix)
          ? registryEndpoints[pathAfterPrefix]
          : undefined;
      if (!tracked && !registered) {
        throw new MlflowError(
          'ENDPOINT_NOT_FOUND',
          `No MLflow endpoint ${pathAfterPrefix}. This server implements: ${[...Object.keys(endpoints), ...(opts.registry ? Object.keys(registryEndpoints) : [])].join(', ')}.`,
          404,
        );
      }
      const method = (req.method === 'HEAD' ? 'GET' : req.method) as HttpMethod;
      const allowed: readonly string[] = tracked ? tracked.methods : Object.keys(registered!.methods);
      if (!allowed.includes(method)) {
        res.setHeader('Allow', allowed.join(', '));
        throw new MlflowError('BAD_REQUEST', `${pathAfterPrefix} takes ${allowed.join(' or ')}.`, 405);
      }
      // A GET carries its fields in the query; MLflow's clients send DELETE and PATCH with a JSON body.
      if (method === 'GET') {
        input = queryObject(new URL(req.url ?? '/', 'http://localhost').searchParams);
      } else {
        const text = await readBody(req, limit);
        input =
          method === 'DELETE' && !text.trim()
            ? queryObject(new URL(req.url ?? '/', 'http://localhost').searchParams)
            : parseJsonTolerant(text);
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new MlflowError('BAD_REQUEST', 'The request body must be a JSON object.', 400);
      }
      if (scope) input = forRun(pathAfterPrefix, input as Record<string, unknown>, scope, tracking);
      send(
        res,
        200,
        tracked
          ? tracked.handle(input, tracking, changed)
          : await registered!.methods[method]!(input, opts.registry!),
      );
    } catch (err) {
      const e = toMlflowError(err, input);
      // A request refused before its body was read: close rather than parse the rest as a request.
      if (!req.complete) res.setHeader('Connection', 'close');
      send(res, e.status, { error_code: e.errorCode, message: e.message });
    }
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

function coalesce(onChange: ((entities: Entity[]) => void) | undefined, intervalMs: number): Changed {
  if (!onChange) return () => {};
  const pending = new Set<Entity>();
  let timer: NodeJS.Timeout | undefined;
  return (...changed) => {
    for (const e of changed) pending.add(e);
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      const entities = [...pending];
      pending.clear();
      onChange(entities);
    }, intervalMs);
    timer.unref();
  };
}
