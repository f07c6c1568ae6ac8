/**
 * Starting the real app in browser mode and the Chromium it is driven with — shared by the e2e
 * fixture, playwright.config.ts and the benchmarks that measure the UI. Plain Node: no test runner.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Debian's Chromium, headless; the flags keep it off the (closed) network. */
export const CHROMIUM_LAUNCH = {
  executablePath: process.env.MLWB_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};

/**
 * `mlwb ui` on `home`, resolved with the URL it prints first (which signs a browser in). On a free
 * port by default; `port: null` leaves it to the command (the home's last port, as a user's start).
 */
export async function startServer(
  home: string,
  port: string | null = '0',
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'bin/mlwb.js'),
      '--home',
      home,
      'ui',
      ...(port === null ? [] : ['--port', port]),
      '--no-open',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`mlwb ui printed no address in 30 s.\n${stderr}`)),
      30_000,
    );
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const m = /^Workbench at (http:\/\/\S+)$/.exec(line);
      if (m?.[1]) resolve(m[1]);
      else reject(new Error(`Unexpected first line from mlwb ui: ${line}\n${stderr}`));
    });
    child.once('exit', (code) => reject(new Error(`mlwb ui exited with ${code}.\n${stderr}`)));
  });
  return { url, child };
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
