/**
 * `mlwb ui`: browser mode. Prints `Workbench at URL` as its first stdout line (scripts and tests
 * read it), opens a browser when one is available, and runs until interrupted.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureRendererBuilt } from '../../scripts/renderer-build.mjs';
import type { Api } from '../core/api.ts';
import { ioError } from '../core/errors.ts';
import { packageRoot } from '../core/packageRoot.ts';
import type { Workbench } from '../core/workbench.ts';
import { startServer } from '../server/server.ts';
import { UsageError } from './output.ts';

export const rendererDir = path.join(packageRoot(), 'dist', 'renderer');

export async function uiCommand(
  wb: Workbench,
  api: Api,
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, 'no-open': { type: 'boolean' } },
    strict: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new UsageError('--port must be a number from 0 to 65535.');
  }
  // A fresh install has no built interface yet: build it (once) rather than serve nothing.
  const problem = ensureRendererBuilt(packageRoot());
  if (problem) throw ioError(problem);
  const serve = (at: number | undefined) =>
    startServer(wb, api, { port: at, rendererDir, token: process.env.MLWB_UI_TOKEN || undefined });
  // Without --port, the port this home was last served on, when it is free: the page's origin
  // stays the same, and with it what the browser keeps for it (Settings' choices, the permission
  // to notify). Taken meanwhile: a free one, remembered instead.
  const last = port === undefined ? lastPort(wb.home) : undefined;
  let server: Awaited<ReturnType<typeof serve>>;
  try {
    server = await serve(port ?? last);
  } catch (err) {
    if (last === undefined || (err as { code?: string }).code !== 'CONFLICT') throw err;
    server = await serve(undefined);
  }
  if (port === undefined) rememberPort(wb.home, server.port);
  io.stdout.write(`Workbench at ${server.url}\n`);
  // Runs left running or queued by an earlier session are picked up again.
  void wb.runs.resume().catch(() => {});
  io.stderr.write(`Serving ${wb.home} on 127.0.0.1 only. Press Ctrl+C to stop.\n`);
  if (!values['no-open'] && !process.env.CI) openBrowser(server.url);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

const portFile = (home: string) => path.join(home, 'ui-port');

function lastPort(home: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(portFile(home), 'utf8').trim());
    return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
  } catch {
    return undefined;
  }
}

function rememberPort(home: string, port: number): void {
  try {
    fs.writeFileSync(portFile(home), `${port}\n`);
  } catch {
    // Only a convenience: the next launch picks a free port again.
  }
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  try {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No browser: the printed address is enough.
  }
}
