/**
 * What a spec that deploys leaves on the engine, removed at its end whether it passed or not:
 * its deployments (through the app, waiting for each removal) and its model's images. A cleanup
 * that fails says so and does not throw: it runs in `finally`, where it would hide the test's
 * own failure.
 */
import { execFileSync } from 'node:child_process';
import type { Page } from '@playwright/test';
import { expect, invoke } from './workbench.ts';

/** Removes the named deployments (every deployment of the home without names). */
export async function removeDeployments(page: Page, names?: string[]): Promise<void> {
  const all =
    names ??
    (
      (await invoke(page, 'deployments.list', {}).catch(() => ({ result: [] }))).result as
        | { name: string }[]
        | undefined
    )?.map((d) => d.name) ??
    [];
  for (const name of all) {
    try {
      const started = await invoke(page, 'deployments.remove', { name });
      const op = (started.result as { op?: string } | undefined)?.op;
      if (op)
        await expect
          .poll(async () => ((await invoke(page, 'ops.get', { op })).result as { state: string }).state, {
            timeout: 60_000,
          })
          .not.toBe('running');
    } catch (err) {
      console.warn(`cleanup: could not remove the deployment ${name}: ${(err as Error).message}`);
    }
  }
}

/** Removes every image packaged for `model` (`mlwb-model/MODEL:…`). */
export function removeModelImages(model: string): void {
  try {
    const images = execFileSync('docker', ['images', '-q', '--filter', `reference=mlwb-model/${model}`])
      .toString()
      .split('\n')
      .filter(Boolean);
    if (images.length) execFileSync('docker', ['image', 'rm', '--force', ...new Set(images)]);
  } catch (err) {
    console.warn(`cleanup: could not remove the images of ${model}: ${(err as Error).message}`);
  }
}
