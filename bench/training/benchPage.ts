/**
 * A page for the UI benchmarks: a 1400×900 Chromium page whose errors are collected, with the
 * benchmark's probe installed before any of the app's scripts run.
 */
import type { Browser, Page } from 'playwright';

export async function openBenchPage(
  browser: Browser,
  probe: () => void,
): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  // tsx compiles with keepNames, so functions sent to the page call esbuild's __name helper.
  await page.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((f) => f);' });
  await page.addInitScript(probe);
  return { page, problems };
}
