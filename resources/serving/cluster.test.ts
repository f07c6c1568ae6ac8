/**
 * Several server processes behind one port: requests over many connections are all counted in
 * /metrics and all logged in one file sequence, whichever process answered; a process that dies is
 * replaced and its counts are kept; one process (MLWB_SERVER_WORKERS=1) serves alone, as before.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { irisMeta, irisModel, type RunningServer, startServer, tempDir, waitReady } from './testServer.ts';

const row = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };
let running: RunningServer | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** `perConnection` requests on each of `connections` keep-alive connections at once; their statuses. */
async function burst(url: string, connections: number, perConnection: number, idPrefix: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const one = (id: string) =>
    new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ id, ...row });
      const req = http.request(
        `${url}/v2/models/iris/infer`,
        { method: 'POST', agent, headers: { 'Content-Type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const statuses = await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      const out: number[] = [];
      for (let i = 0; i < perConnection; i++) out.push(await one(`${idPrefix}-${c}-${i}`));
      return out;
    }),
  );
  agent.destroy();
  return statuses.flat();
}

async function metric(url: string, re: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(re.exec(text)?.[1]);
}
const INFER_200 = /^mlwb_requests_total\{endpoint="\/v2\/models\/\{name\}\/infer",status="200"\} (\d+)$/m;

/** The server processes under the primary (not tsx's esbuild helper), by their parent pid. */
function workerPids(primary: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(primary)], { encoding: 'utf8' });
  } catch {
    // ps exits 1 when no process matches.
  }
  return out
    .split('\n')
    .filter((l) => /server\.(ts|mjs)/.test(l))
    .map((l) => Number.parseInt(l.trim(), 10));
}

/** The iris server with two worker processes and a request log in a fresh folder, which it returns. */
async function startTwoLogging(): Promise<{ server: RunningServer; logDir: string }> {
  const dir = tempDir();
  const logDir = path.join(dir, 'log');
  running = await startServer({
    model: irisModel,
    meta: irisMeta,
    dir,
    env: { MLWB_SERVER_WORKERS: '2', MLWB_REQUEST_LOG_DIR: logDir },
  });
  return { server: running, logDir };
}

describe('several server processes', () => {
  it('counts and logs every request, whichever process answered it', async () => {
    const { server, logDir } = await startTwoLogging();
    const { url, proc } = server;
    await waitReady(url);
    expect(server.stdout()).toMatch(/ready: loaded in [\d.]+ s, warmed up in [\d.]+ s \(2 workers\)/);
    expect(workerPids(proc.pid!)).toHaveLength(2);

    const statuses = await burst(url, 8, 5, 'b');
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await metric(url, INFER_200)).toBe(40);
    expect(
      await metric(
        url,
        /^mlwb_request_duration_seconds_count\{endpoint="\/v2\/models\/\{name\}\/infer"\} (\d+)$/m,
      ),
    ).toBe(40);
    expect(await metric(url, /^mlwb_server_workers (\d+)$/m)).toBe(2);
    expect(await metric(url, /^mlwb_model_ready (\d)$/m)).toBe(1);
    expect(await metric(url, /^mlwb_requests_in_flight (\d+)$/m)).toBe(1);

    await new Promise((r) => setTimeout(r, 300));
    // One writer: one file, one line per request, none torn.
    expect(fs.readdirSync(logDir)).toEqual(['requests.jsonl']);
    const ids = fs
      .readFileSync(path.join(logDir, 'requests.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).id as string);
    expect(ids.sort()).toEqual(
      Array.from({ length: 8 }, (_, c) => Array.from({ length: 5 }, (_, i) => `b-${c}-${i}`))
        .flat()
        .sort(),
    );
  });

  it('writes every line of the last requests before it exits on SIGTERM', async () => {
    const { server, logDir } = await startTwoLogging();
    await waitReady(server.url);
    expect((await burst(server.url, 8, 3, 's')).every((s) => s === 200)).toBe(true);
    // At once: the lines are still on their way from the workers.
    server.proc.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    const lines = fs.readFileSync(path.join(logDir, 'requests.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(24);
    expect(server.stdout()).toMatch(/worker \d+: SIGTERM: draining 0 request/);
  });

  it('replaces a process that dies, keeping its counts, and keeps serving', async () => {
    running = await startServer({ model: irisModel, meta: irisMeta, env: { MLWB_SERVER_WORKERS: '2' } });
    const { url, proc } = running;
    await waitReady(url);
    expect((await burst(url, 8, 2, 'a')).every((s) => s === 200)).toBe(true);
    expect(await metric(url, INFER_200)).toBe(16);

    const [victim] = workerPids(proc.pid!);
    process.kill(victim!, 'SIGKILL');
    const until = Date.now() + 20_000;
    while (!/a server process exited \(signal SIGKILL\); starting another/.test(running.stdout())) {
      if (Date.now() > until) throw new Error(`no replacement: ${running.stdout()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // The replacement listens only once its model is loaded: until then the survivor serves alone.
    await new Promise((r) => setTimeout(r, 1500));
    const pids = workerPids(proc.pid!);
    expect(pids).toHaveLength(2);
    expect(pids).not.toContain(victim);
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
    expect(await metric(url, INFER_200)).toBe(16);
    expect((await burst(url, 8, 2, 'c')).every((s) => s === 200)).toBe(true);
    expect(await metric(url, INFER_200)).toBe(32);
    proc.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
  });

  it('fails to start when a process cannot load the model', async () => {
    const dir = tempDir();
    const broken = path.join(dir, 'broken.onnx');
    fs.writeFileSync(broken, 'not a model');
    running = await startServer({ model: broken, meta: irisMeta, dir, env: { MLWB_SERVER_WORKERS: '2' } });
    expect((await running.exited).code).toBe(1);
  });
});

describe('one server process', () => {
  it('serves from the process itself, with no workers under it', async () => {
    running = await startServer({ model: irisModel, meta: irisMeta, env: { MLWB_SERVER_WORKERS: '1' } });
    const { url, proc } = running;
    await waitReady(url);
    expect(workerPids(proc.pid!)).toEqual([]);
    expect((await burst(url, 4, 2, 'one')).every((s) => s === 200)).toBe(true);
    expect(await metric(url, INFER_200)).toBe(8);
    expect(await metric(url, /^mlwb_server_workers (\d+)$/m)).toBe(1);
  });
});
