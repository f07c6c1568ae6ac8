/**
 * The `workbench` fixture: a real `mlwb ui` on a fresh home in a temp folder, opened at the URL it
 * prints (which signs the page in), and stopped after the test. Also collects CSP violations and
 * page errors, which every test asserts are absent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { startServer, stopServer } from './browserMode.ts';

export interface Workbench {
  url: string;
  home: string;
  /** A scratch folder for the files a test drops or picks. */
  scratch: string;
  problems: string[];
  /** Saves a screenshot under test-results/screens/. */
  screenshot(name: string): Promise<void>;
}

const SCREENS = path.resolve('test-results', 'screens');

export const test = base.extend<{ workbench: Workbench }>({
  workbench: async ({ page }, use, testInfo) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-e2e-'));
    const home = path.join(root, 'home');
    const scratch = path.join(root, 'scratch');
    fs.mkdirSync(scratch);
    const { url, child } = await startServer(home);
    const problems: string[] = [];
    await watchProblems(page, problems);
    fs.mkdirSync(SCREENS, { recursive: true });
    const slug = testInfo.title
      .replace(/[^a-z0-9]+/gi, '-')
      .toLowerCase()
      .slice(0, 40);
    try {
      await page.goto(url);
      await use({
        url,
        home,
        scratch,
        problems,
        screenshot: async (name) => {
          await page.screenshot({ path: path.join(SCREENS, `${slug}--${name}.png`), fullPage: false });
        },
      });
    } finally {
      await stopServer(child);
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
});

async function watchProblems(page: Page, problems: string[]) {
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // When the Docker engine adds or removes a container's network interface, Chromium aborts
    // requests in flight with ERR_NETWORK_CHANGED; the app retries them. That is the machine
    // changing under the test, not the app misbehaving.
    if (msg.type() === 'error' && !msg.text().includes('net::ERR_NETWORK_CHANGED')) {
      problems.push(`console error: ${msg.text()}`);
    }
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

/** Dispatches a drag over the window and, unless `hold`, the drop: as a user dropping these files. */
export async function dropFiles(
  page: Page,
  files: { name: string; content: string; type?: string }[],
  opts: { hold?: boolean } = {},
): Promise<void> {
  await page.evaluate(
    ({ files, hold }) => {
      const dt = new DataTransfer();
      for (const f of files) dt.items.add(new File([f.content], f.name, { type: f.type ?? 'text/plain' }));
      const target = document.querySelector('main') ?? document.body;
      const fire = (type: string) =>
        target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      fire('dragenter');
      fire('dragover');
      if (!hold) fire('drop');
      else (window as unknown as { __heldDrop: () => void }).__heldDrop = () => fire('drop');
    },
    { files, hold: opts.hold ?? false },
  );
}

export async function releaseDrop(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { __heldDrop: () => void }).__heldDrop());
}

/** A CSV of `rows` rows: id, a numeric amount, a category. */
export function salesCsv(rows: number): string {
  const lines = ['id,amount,region'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},${(i * 37) % 101}.5,${['north', 'south', 'east'][i % 3]}`);
  return `${lines.join('\n')}\n`;
}

export { expect };

/** Calls an API method from the signed-in page, as the renderer does. */
export async function invoke(
  page: Page,
  method: string,
  params: unknown,
): Promise<{ result?: unknown; error?: unknown }> {
  return page.evaluate(
    async ({ method, params }) => {
      const res = await fetch(`/api/invoke/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(params),
      });
      return res.json();
    },
    { method, params },
  );
}

/** POSTs to the MLflow-compatible API from the signed-in page, as a training script would. */
export async function mlflowPost<T = unknown>(page: Page, endpoint: string, body: unknown): Promise<T> {
  const [reply] = await mlflowPostAll<T>(page, endpoint, [body]);
  return reply!;
}

/**
 * POSTs every body to one MLflow endpoint from the signed-in page, `concurrency` at a time, and
 * returns the replies in order: many scripts logging at once, in one round trip to the page.
 */
export async function mlflowPostAll<T = unknown>(
  page: Page,
  endpoint: string,
  bodies: unknown[],
  concurrency = 50,
): Promise<T[]> {
  const replies = await page.evaluate(
    async ({ endpoint, bodies, concurrency }) => {
      const post = async (body: unknown) => {
        const res = await fetch(`/api/2.0/mlflow/${endpoint}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`${endpoint}: ${res.status} ${await res.text()}`);
        return res.json();
      };
      const all: unknown[] = [];
      for (let i = 0; i < bodies.length; i += concurrency)
        all.push(...(await Promise.all(bodies.slice(i, i + concurrency).map(post))));
      return all;
    },
    { endpoint, bodies, concurrency },
  );
  return replies as T[];
}

/** `datasets.add` with paths on this machine (the server runs here), awaited to its end. */
export async function addDatasetVersion(page: Page, name: string, paths: string[]): Promise<void> {
  const started = await invoke(page, 'datasets.add', { name, paths });
  const { op } = started.result as { op: string };
  await expect
    .poll(async () => ((await invoke(page, 'ops.get', { op })).result as { state: string }).state)
    .toBe('succeeded');
}

/**
 * For tests that train: skipped with the reason where no engine runs; in CI
 * (MLWB_REQUIRE_DOCKER=1) a failure instead.
 */
export async function requireEngine(page: Page): Promise<void> {
  const engine = (await invoke(page, 'engine.status', {})).result as { reachable: boolean; error?: string };
  test.skip(
    !engine.reachable && process.env.MLWB_REQUIRE_DOCKER !== '1',
    `No Docker engine is reachable (${engine.error ?? 'unknown'}); set MLWB_REQUIRE_DOCKER=1 to fail instead.`,
  );
  expect(engine.reachable, `the Docker engine must be reachable: ${engine.error}`).toBe(true);
}
