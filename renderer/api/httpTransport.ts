/**
 * Browser mode: `POST /api/invoke/<method>` for calls, a WebSocket on `/api/events` for events
 * (reconnecting with backoff), and `/api/uploads` for dropped files. The server authenticated this
 * page with a cookie when it was first opened, so every request here is same-origin and plain.
 */
import { EventFrame, type MethodName } from '../../shared/contract.ts';
import { WireReply } from '../../shared/errors.ts';
import { ApiError, cancelledError } from './apiError.ts';
import type { ConnectionState, Frame, PickedSource, StageProgress, Transport } from './transport.ts';

const PARALLEL_UPLOADS = 4;

export function createHttpTransport(): Transport {
  const listeners = new Set<(frame: Frame) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  let socket: WebSocket | undefined;
  let retryMs = 500;

  const setState = (next: ConnectionState) => {
    state = next;
    for (const l of connectionListeners) l(next);
  };

  const connect = () => {
    const url = new URL('/api/events', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      retryMs = 500;
      setState('live');
    };
    ws.onmessage = (msg) => {
      let raw: unknown;
      try {
        raw = JSON.parse(String(msg.data));
      } catch {
        return;
      }
      const frame = EventFrame.safeParse(raw);
      if (!frame.success) return;
      for (const l of listeners) l(frame.data);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      setState('offline');
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    };
  };
  connect();

  return {
    kind: 'browser',
    async invoke(method: MethodName, params: unknown, signal?: AbortSignal) {
      let res: Response;
      try {
        res = await fetch(`/api/invoke/${encodeURIComponent(method)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(params ?? {}),
          signal,
        });
      } catch (err) {
        if (signal?.aborted) throw cancelledError();
        throw unreachable(err);
      }
      return readReply(res);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(state);
      return () => connectionListeners.delete(listener);
    },
    stage: uploadSource,
  };
}

function unreachable(err: unknown): ApiError {
  return new ApiError(
    'IO',
    `Cannot reach the workbench server (${err instanceof Error ? err.message : String(err)}). Is mlwb ui still running?`,
  );
}

async function readReply(res: Response): Promise<unknown> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Plain-text replies are the server's guards (not signed in, wrong host): show them as they are.
    throw new ApiError(res.status === 401 ? 'INVALID_INPUT' : 'INTERNAL', text.trim() || res.statusText);
  }
  const reply = WireReply.safeParse(body);
  if (!reply.success) throw new ApiError('INTERNAL', 'The server sent a reply that was not understood.');
  if ('error' in reply.data) throw ApiError.fromWire(reply.data.error);
  return reply.data.result;
}

/** Streams every file into a fresh upload session, a few at a time, reporting bytes as they go. */
async function uploadSource(
  source: PickedSource,
  opts: { signal: AbortSignal; onProgress(p: StageProgress): void },
): Promise<{ upload: string }> {
  const session = await fetch('/api/uploads', { method: 'POST', signal: opts.signal })
    .then(readReply)
    .catch((err) => {
      throw opts.signal.aborted ? cancelledError() : ApiError.from(err);
    });
  const upload = (session as { upload?: unknown }).upload;
  if (typeof upload !== 'string')
    throw new ApiError('INTERNAL', 'The server did not open an upload session.');

  const loaded = new Array<number>(source.files.length).fill(0);
  const progress: StageProgress = {
    bytesDone: 0,
    bytesTotal: source.files.reduce((n, f) => n + f.file.size, 0),
    filesDone: 0,
    filesTotal: source.files.length,
  };
  const report = () => {
    progress.bytesDone = loaded.reduce((a, b) => a + b, 0);
    opts.onProgress({ ...progress });
  };
  report();

  let next = 0;
  const worker = async () => {
    while (next < source.files.length) {
      const i = next++;
      const { path, file } = source.files[i]!;
      await putFile(upload, path, file, opts.signal, (n) => {
        loaded[i] = n;
        report();
      });
      loaded[i] = file.size;
      progress.filesDone++;
      report();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, source.files.length) }, worker));
  } catch (err) {
    // A cancelled or failed drop leaves nothing staged on the server.
    void fetch(`/api/uploads/${encodeURIComponent(upload)}`, { method: 'DELETE' }).catch(() => {});
    throw err;
  }
  return { upload };
}

/** XMLHttpRequest, not fetch: it is the one that reports upload progress. */
function putFile(
  upload: string,
  path: string,
  file: File,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelledError());
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const done = (fn: () => void) => {
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    xhr.open('PUT', `/api/uploads/${encodeURIComponent(upload)}?path=${encodeURIComponent(path)}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onBytes(e.loaded);
    xhr.onabort = () => done(() => reject(cancelledError()));
    xhr.onerror = () => done(() => reject(unreachable(new Error(`uploading ${path} failed`))));
    xhr.onload = () =>
      done(() => {
        if (xhr.status >= 200 && xhr.status < 300) return resolve();
        readReply(new Response(xhr.responseText, { status: xhr.status })).then(
          () => reject(new ApiError('INTERNAL', `Uploading ${path} failed (${xhr.status}).`)),
          reject,
        );
      });
    xhr.send(file);
  });
}
