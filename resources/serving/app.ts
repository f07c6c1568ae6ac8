/**
 * The model server: routes, readiness and graceful shutdown around one loaded model.
 *
 * It listens at once (so liveness answers while a large model loads), loads and warms the model
 * up, and only then reports ready on `/v2/health/ready`, `/v2/models/{name}/ready`, `/ping` and
 * `/health`. On shutdown it stops accepting connections, lets the requests in flight finish (their
 * connections then close), and writes the last request log lines.
 *
 * Served by several processes (cluster.ts), each runs one of these: its request log lines and its
 * /metrics answer then go through the primary process (`ServeOptions`), and it reports ready only
 * once the primary says every process is.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { ServerConfig } from './config.ts';
import { BadRequest, HttpError } from './errors.ts';
import { checkAnnouncedLength, mediaType, readBody, sendError, sendJson, sendText } from './http.ts';
import { LogLineFormat } from './logLine.ts';
import { Metrics } from './metrics.ts';
import { feedsFromFrame, feedsFromJson, frameFromCsv, predictions } from './mlflow.ts';
import { type Feed, LoadedModel, type OutputTensor } from './model.ts';
import {
  checkModel,
  inferRequestId,
  inferResponse,
  modelMetadata,
  parseInferRequest,
  SERVER_VERSION,
  serverMetadata,
} from './oip.ts';
import { REQUEST_ID_HEADER, requestIdOf } from './requestId.ts';
import { type LogSink, monotonicMs, RequestLog } from './requestLog.ts';
import { toJsonValues } from './tensors.ts';

const NOT_READY = JSON.stringify({
  error: 'The model is still loading; ask /v2/health/ready until it answers 200.',
});
const EMPTY = '{}';
const INFER_ROUTE = '/v2/models/{name}/infer';
const MODEL_ROUTES: Record<string, string> = {
  '': '/v2/models/{name}',
  ready: '/v2/models/{name}/ready',
  infer: INFER_ROUTE,
};

/** One request's route and start, read when its response closes (see `handle`). */
interface Exchange {
  started: number;
  endpoint: string;
}
const EXCHANGE = Symbol('exchange');
type TrackedResponse = ServerResponse & { [EXCHANGE]: Exchange };

export interface ServeOptions {
  /** Where log lines go instead of the configured folder: a worker's go to the primary process. */
  log?: LogSink | undefined;
  /** The /metrics text: a worker's covers every process, so the primary renders it. */
  metricsText?: (() => Promise<string>) | undefined;
  /** False until every process is ready (see `peersReady`); a single process has no peers. */
  peersReady?: boolean;
}

/** What an inference request left behind for its log line. */
interface Outcome {
  /** Sent back in X-Request-Id, refusals included: the key a client joins its log line on. */
  id: string;
  feeds?: Map<string, Feed>;
  outputs?: OutputTensor[];
  json?: unknown[][];
}

/** How long a shutdown keeps idle keep-alive connections open for a request already on its way. */
const IDLE_GRACE_MS = 1000;

export class ModelServer {
  readonly server: http.Server;
  readonly metrics = new Metrics();
  private model: LoadedModel | undefined;
  private readonly log: LogSink | undefined;
  private readonly metricsText: (() => Promise<string>) | undefined;
  private draining = false;
  /** Whether the other server processes are ready too; readiness waits for them. */
  peersReady: boolean;
  private lineFormat: LogLineFormat | undefined;
  /** The responses not yet sent, told to close their connection when a shutdown begins. */
  private readonly pending = new Set<ServerResponse>();
  /** The infer paths of the served model, with and without its version: the common request. */
  private readonly inferPaths: Set<string>;
  /** One listener for every response, so a request allocates no closure for its bookkeeping. */
  private readonly onClose: (this: TrackedResponse) => void;

  constructor(
    private readonly config: ServerConfig,
    options: ServeOptions = {},
  ) {
    this.log =
      options.log ??
      (config.requestLogDir
        ? new RequestLog(config.requestLogDir, config.logMaxBytes, config.logFiles)
        : undefined);
    this.metricsText = options.metricsText;
    this.peersReady = options.peersReady ?? true;
    const model = `/v2/models/${encodeURIComponent(config.meta.name)}`;
    this.inferPaths = new Set([`${model}/infer`, `${model}/versions/${config.meta.version}/infer`]);
    const server = this;
    this.onClose = function (this: TrackedResponse) {
      const x = this[EXCHANGE];
      server.pending.delete(this);
      server.metrics.inFlight--;
      server.metrics.observe(x.endpoint, this.statusCode, (performance.now() - x.started) / 1000);
      if (server.draining && server.idleGraceOver) server.server.closeIdleConnections();
    };
    this.server = http.createServer({ keepAlive: true }, (req, res) => this.handle(req, res));
    // Longer than the usual proxies' idle timeouts, so they never reuse a connection we closed.
    this.server.keepAliveTimeout = 65_000;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.config.port, this.config.host, () => {
        this.server.off('error', reject);
        // Past listen, an error (EMFILE on accept) is said, not fatal: the server keeps serving.
        this.server.on('error', (err) => process.stderr.write(`server: ${err.message}\n`));
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : this.config.port);
      });
    });
  }

  /**
   * Loads and warms the model up (from `bytes` when the primary process read the file); the server
   * reports ready once this resolves (and its peers are ready).
   */
  async load(bytes?: Uint8Array): Promise<{ loadSeconds: number; warmupSeconds: number }> {
    const model = await LoadedModel.load(
      bytes ?? this.config.modelPath,
      this.config.meta,
      this.config.intraOpThreads,
    );
    this.metrics.modelLoadSeconds = model.loadSeconds;
    const warmupSeconds = await model.warmUp();
    this.metrics.warmupSeconds = warmupSeconds;
    this.model = model;
    return { loadSeconds: model.loadSeconds, warmupSeconds };
  }

  /** Ready: loaded, warmed up, the peers too, and not draining. */
  get ready(): boolean {
    return this.model !== undefined && this.peersReady && !this.draining;
  }

  /** Stops accepting, waits for the requests in flight, flushes the request log. */
  async shutdown(): Promise<void> {
    this.draining = true;
    for (const res of this.pending) if (!res.headersSent) res.setHeader('Connection', 'close');
    // net.Server's close stops accepting and waits for the connections to end; http.Server's (on
    // Node 19 and later) would also close the idle ones at once, which the grace below holds off.
    const closed = new Promise<void>((resolve) =>
      net.Server.prototype.close.call(this.server, () => resolve()),
    );
    // Idle keep-alive connections stay open a moment: a client may be sending its next request on
    // one right now (during a replacement, traffic has just moved to the new server); it gets its
    // answer with `Connection: close` instead of a reset. Then the idle ones close.
    const grace = setTimeout(() => {
      this.idleGraceOver = true;
      this.server.closeIdleConnections();
    }, IDLE_GRACE_MS);
    await closed;
    clearTimeout(grace);
    await this.log?.flush();
    await this.model?.release();
  }

  /** Set once idle connections may be closed during a shutdown (after IDLE_GRACE_MS). */
  private idleGraceOver = false;

  /** Ends every connection at once: the last resort when in-flight requests outlast the grace period. */
  abort(): void {
    this.server.closeAllConnections();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const exchange: Exchange = { started, endpoint: 'other' };
    (res as TrackedResponse)[EXCHANGE] = exchange;
    this.metrics.inFlight++;
    this.pending.add(res);
    if (this.draining) res.setHeader('Connection', 'close');
    // A response closes once: `on` spares the wrapper `once` makes.
    res.on('close', this.onClose);
    let answered: Promise<void>;
    if (this.inferPaths.has(path)) {
      // The common request skips the router's splitting and decoding.
      exchange.endpoint = INFER_ROUTE;
      answered = this.infer(req, res, this.config.meta.name, undefined, started);
    } else answered = this.route(req, res, path, exchange, started);
    answered.catch((err: unknown) => {
      try {
        sendError(res, err instanceof HttpError ? err : internal(err));
      } catch (failed) {
        // Never let one request take the server down: drop its connection instead.
        process.stderr.write(`mlwb model server: could not answer ${path}: ${(failed as Error).message}\n`);
        res.destroy();
      }
    });
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    endpoint: Exchange,
    started: number,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === '/v2' || path.startsWith('/v2/')) {
      const parts = path.split('/');
      // ['', 'v2', 'models', NAME, 'versions', V, ACTION]
      if (parts.length === 2 || (parts.length === 3 && parts[2] === '')) {
        endpoint.endpoint = '/v2';
        allow(method, 'GET');
        return sendJson(res, 200, serverMetadata());
      }
      if (parts[2] === 'health' && parts.length === 4 && (parts[3] === 'live' || parts[3] === 'ready')) {
        endpoint.endpoint = `/v2/health/${parts[3]}`;
        allow(method, 'GET');
        if (parts[3] === 'live') return sendJson(res, 200, EMPTY);
        // Draining after SIGTERM: not ready, so a balancer stops sending traffic here.
        return this.ready ? sendJson(res, 200, EMPTY) : sendJson(res, 400, NOT_READY);
      }
      if (parts[2] === 'models' && parts.length >= 4) {
        const name = decode(parts[3]!);
        let rest = parts.slice(4);
        let version: string | undefined;
        if (rest[0] === 'versions' && rest.length >= 2) {
          version = decode(rest[1]!);
          rest = rest.slice(2);
        }
        const action = rest.length === 0 ? '' : rest.length === 1 ? rest[0] : undefined;
        if (action === '' || action === 'ready' || action === 'infer') {
          endpoint.endpoint = MODEL_ROUTES[action]!;
          if (action === 'infer') return this.infer(req, res, name, version, started);
          allow(method, 'GET');
          checkModel(this.config.meta, name, version);
          if (!this.model || (action === 'ready' && !this.ready)) return sendJson(res, 400, NOT_READY);
          return sendJson(res, 200, action === 'ready' ? EMPTY : modelMetadata(this.model));
        }
      }
    } else if (path === '/invocations') {
      endpoint.endpoint = '/invocations';
      return this.invocations(req, res, started);
    } else if (path === '/ping' || path === '/health') {
      endpoint.endpoint = path;
      allow(method, 'GET');
      return this.ready ? sendJson(res, 200, EMPTY) : sendJson(res, 503, NOT_READY);
    } else if (path === '/version') {
      endpoint.endpoint = path;
      allow(method, 'GET');
      const { name, version } = this.config.meta;
      return sendJson(
        res,
        200,
        JSON.stringify({ server: SERVER_VERSION, model: name, modelVersion: version }),
      );
    } else if (path === '/metrics') {
      endpoint.endpoint = path;
      allow(method, 'GET');
      const text = this.metricsText ? await this.metricsText() : this.renderMetrics();
      return sendText(res, 200, text, 'text/plain; version=0.0.4; charset=utf-8');
    }
    throw new HttpError(
      404,
      `Nothing is served at ${path}. See /v2/models/${this.config.meta.name} or /invocations.`,
    );
  }

  /** This process's figures, as /metrics gives them when it serves alone. */
  renderMetrics(): string {
    this.syncMetrics();
    return this.metrics.render();
  }

  /** Brings the gauges read from elsewhere up to date. */
  syncMetrics(): void {
    if (this.log) this.metrics.requestLogDropped = this.log.dropped;
    this.metrics.ready = this.model !== undefined && this.peersReady;
  }

  /** Reads a JSON (or, for /invocations, CSV) body after the checks that need none of it. */
  private async body(
    req: IncomingMessage,
    accepted: readonly string[],
  ): Promise<{ type: string; text: string }> {
    allow(req.method ?? 'GET', 'POST');
    if (!this.model) throw new HttpError(503, JSON.parse(NOT_READY).error);
    checkAnnouncedLength(req, this.config.maxBodyBytes);
    const type = mediaType(req) ?? 'application/json';
    if (!accepted.includes(type))
      throw new HttpError(415, `Content-Type ${type} is not taken here; send ${accepted.join(' or ')}.`);
    const buf = await readBody(req, this.config.maxBodyBytes);
    return { type, text: buf.toString('utf8') };
  }

  private async infer(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    version: string | undefined,
    started: number,
  ): Promise<void> {
    const outcome: Outcome = { id: requestIdOf(req) };
    try {
      checkModel(this.config.meta, name, version);
      const { text } = await this.body(req, ['application/json']);
      const model = this.model!;
      const json = parseJson(text);
      // The body's id (OIP's own, echoed in the answer) over the header's.
      outcome.id = inferRequestId(json) ?? outcome.id;
      const parsed = parseInferRequest(json, model);
      outcome.feeds = parsed.feeds;
      const outputs = await model.run(parsed.feeds, parsed.outputNames);
      outcome.outputs = outputs;
      outcome.json = outputs.map((o) => toJsonValues(o.data, o.type));
      const body = inferResponse(model, outcome.id, outputs, outcome.json);
      // Stamped before the answer leaves, so a request it causes is stamped after it.
      const at = monotonicMs();
      sendJson(res, 200, body, { [REQUEST_ID_HEADER]: outcome.id });
      this.logRequest('infer', outcome, 200, started, at);
    } catch (err) {
      throw this.refused('infer', res, outcome, err, started);
    }
  }

  private async invocations(req: IncomingMessage, res: ServerResponse, started: number): Promise<void> {
    const outcome: Outcome = { id: requestIdOf(req) };
    try {
      const { type, text } = await this.body(req, ['application/json', 'text/csv', 'application/csv']);
      const model = this.model!;
      const feeds =
        type === 'application/json'
          ? feedsFromJson(parseJson(text), model)
          : feedsFromFrame(frameFromCsv(text), model);
      outcome.feeds = feeds;
      const outputs = await model.run(feeds);
      outcome.outputs = outputs;
      outcome.json = outputs.map((o) => toJsonValues(o.data, o.type));
      const body = JSON.stringify({ predictions: predictions(model.meta, outputs, outcome.json) });
      const at = monotonicMs();
      sendJson(res, 200, body, { [REQUEST_ID_HEADER]: outcome.id });
      this.logRequest('invocations', outcome, 200, started, at);
    } catch (err) {
      throw this.refused('invocations', res, outcome, err, started);
    }
  }

  /**
   * Logs a refused inference request and returns its error for `handle` to answer, with the id
   * already set on the response (writeHead there merges it in): off the hot path, so setHeader.
   */
  private refused(
    endpoint: 'infer' | 'invocations',
    res: ServerResponse,
    o: Outcome,
    err: unknown,
    started: number,
  ): HttpError {
    const e = err instanceof HttpError ? err : internal(err);
    this.logRequest(endpoint, o, e.status, started, monotonicMs(), e.message);
    if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, o.id);
    return e;
  }

  private logRequest(
    endpoint: 'infer' | 'invocations',
    o: Outcome,
    status: number,
    started: number,
    answeredAt: number,
    error?: string,
  ): void {
    if (!this.log) return;
    this.lineFormat ??= new LogLineFormat(
      this.config.meta,
      (input) => this.model!.inputByName.get(input)!.type,
    );
    this.log.write(
      this.lineFormat.format({
        id: o.id,
        endpoint,
        feeds: o.feeds,
        outputs: o.outputs,
        json: o.json,
        latencyMs: performance.now() - started,
        status,
        error,
      }),
      answeredAt,
    );
  }
}

function allow(method: string, allowed: string): void {
  if (method !== allowed) throw new HttpError(405, `Use ${allowed} here, not ${method}.`, { Allow: allowed });
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest(`The path segment ${segment} is not valid URL encoding.`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequest(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}

function internal(err: unknown): HttpError {
  const message = err instanceof Error ? err.message : String(err);
  return new HttpError(500, `The model could not answer: ${message.split('\n')[0]}`);
}
