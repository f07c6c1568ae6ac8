/**
 * End-to-end tests drive the real app in browser mode (`mlwb ui`) with Debian's Chromium; each
 * test starts its own server on a fresh home (see e2e/workbench.ts).
 */
import { defineConfig } from '@playwright/test';
import { CHROMIUM_LAUNCH } from './e2e/browserMode.ts';

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    headless: true,
    viewport: { width: 1360, height: 860 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: CHROMIUM_LAUNCH,
  },
});
