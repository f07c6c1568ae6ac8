/**
 * What specs that deploy a model trained in the engine share: the example classifier's recipe and
 * data, training it and registering its model (through the API), and waiting for a long operation.
 */
import path from 'node:path';
import type { Page } from '@playwright/test';
import { addDatasetVersion, expect, invoke } from './workbench.ts';

export const EXAMPLE_DATA = path.resolve('resources/recipes/sklearn-classifier/example-data');
export const RECIPE = path.resolve('resources/recipes/sklearn-classifier');

/** Waits for a long operation started through the API to succeed (its error, if it fails). */
export async function settled(page: Page, started: { result?: unknown; error?: unknown }, timeout = 60_000) {
  expect(started.error, JSON.stringify(started.error)).toBeUndefined();
  const { op } = started.result as { op: string };
  await expect
    .poll(
      async () => {
        const info = (await invoke(page, 'ops.get', { op })).result as { state: string; error?: unknown };
        return info.state === 'failed' ? `failed: ${JSON.stringify(info.error)}` : info.state;
      },
      { timeout, intervals: [500, 1000] },
    )
    .toBe('succeeded');
}

/** Adds the iris data, trains the example classifier on it in the engine and registers it as `model` v1. */
export async function trainAndRegister(page: Page, model: string): Promise<void> {
  await addDatasetVersion(page, 'iris', [EXAMPLE_DATA]);
  const started = await invoke(page, 'runs.start', {
    recipe: RECIPE,
    datasets: [{ channel: 'train', dataset: 'iris' }],
    params: { max_iter: 50 },
  });
  expect(started.error, JSON.stringify(started.error)).toBeUndefined();
  const [runId] = (started.result as { runs: string[] }).runs;
  await expect
    .poll(
      async () =>
        ((await invoke(page, 'runs.get', { id: runId })).result as { run: { status: string } }).run.status,
      { timeout: 120_000 },
    )
    .toBe('FINISHED');
  const registered = await invoke(page, 'models.register', { runId, name: model });
  expect(registered.error, JSON.stringify(registered.error)).toBeUndefined();
}
