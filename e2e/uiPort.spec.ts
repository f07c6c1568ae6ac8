/**
 * `mlwb ui` without --port serves a home on the port it was last served on, so the page keeps its
 * origin — and what the browser keeps for it (Settings' choices, the permission to notify) — from
 * one launch to the next; when that port is taken meanwhile, it serves on a free one and remembers
 * that instead.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { startServer, stopServer } from './browserMode.ts';

const portOf = (url: string) => Number(new URL(url).port);

test('mlwb ui keeps a home on its last port across launches, or takes a free one', async ({ page }) => {
  const home = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-e2e-port-')), 'home');
  const first = await startServer(home, null);
  const port = portOf(first.url);
  await page.goto(first.url);
  await expect(page.getByRole('link', { name: 'Datasets' }).first()).toBeVisible();
  await page.evaluate(() => localStorage.setItem('mlwb-e2e-kept', 'yes'));
  await stopServer(first.child);

  const second = await startServer(home, null);
  expect(portOf(second.url)).toBe(port);
  await page.goto(second.url);
  await expect(page.getByRole('link', { name: 'Datasets' }).first()).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('mlwb-e2e-kept'))).toBe('yes');
  await stopServer(second.child);

  // Taken by something else meanwhile: a free port, remembered for the next launch.
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  try {
    const third = await startServer(home, null);
    const other = portOf(third.url);
    expect(other).not.toBe(port);
    await stopServer(third.child);
    expect(Number(fs.readFileSync(path.join(home, 'ui-port'), 'utf8'))).toBe(other);
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
  fs.rmSync(path.dirname(home), { recursive: true, force: true });
});
