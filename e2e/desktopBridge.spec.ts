/**
 * The desktop app's renderer, without the Electron binary (it cannot be downloaded here): the same
 * built renderer, given a `window.mlwb` object shaped as electron/preload.ts exposes it — calls and
 * events go to the real backend, and `pickFolder` stands in for the system's folder chooser. This
 * exercises the renderer's bridge transport and the desktop-only paths: choosing an export folder
 * and saving a run's artifact into a chosen folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { addDatasetVersion, expect, mlflowPost, salesCsv, test } from './workbench.ts';

test('desktop bridge: choose an export folder, save an artifact to a chosen folder', async ({
  page,
  workbench,
}) => {
  const chosen: string[] = [];
  let answer: string | null = null;
  // The main process's reply to 'mlwb:pickFolder', in the IPC wire shape.
  await page.exposeFunction('__chooseFolder', (title: string) => {
    chosen.push(title);
    return { result: answer };
  });
  await page.addInitScript(() => {
    const w = window as unknown as {
      mlwb: unknown;
      __chooseFolder(title: string): Promise<unknown>;
    };
    w.mlwb = {
      invoke: (method: string, params: unknown) =>
        fetch(`/api/invoke/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(params),
        }).then((r) => r.json()),
      subscribe: (listener: (frame: unknown) => void) => {
        const ws = new WebSocket(new URL('/api/events', window.location.href));
        ws.onmessage = (m) => listener(JSON.parse(String(m.data)));
        return () => ws.close();
      },
      pathForFile: () => '',
      pickFolder: (title: string) => w.__chooseFolder(title),
    };
  });
  await page.reload();

  const data = path.join(workbench.scratch, 'sales');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'sales.csv'), salesCsv(50));
  await addDatasetVersion(page, 'sales', [data]);

  await test.step('export: Choose… fills the folder from the system chooser', async () => {
    await page.goto(`${new URL(workbench.url).origin}/#/datasets/sales`);
    await page.getByRole('button', { name: 'Export…' }).click();
    const panel = page.getByTestId('export-panel');
    // Cancelled: nothing changes.
    await panel.getByRole('button', { name: 'Choose…' }).click();
    await expect.poll(() => chosen.length).toBe(1);
    await expect(panel.getByRole('textbox')).toHaveValue('');
    answer = path.join(workbench.scratch, 'exported');
    await panel.getByRole('button', { name: 'Choose…' }).click();
    await expect(panel.getByRole('textbox')).toHaveValue(answer);
    expect(chosen).toEqual(['Export to folder', 'Export to folder']);
    await panel.getByRole('button', { name: 'Export', exact: true }).click();
    await expect(page.getByTestId('export-result')).toContainText('Exported 1 file');
    expect(fs.readFileSync(path.join(answer, 'sales.csv'), 'utf8')).toBe(salesCsv(50));
    await workbench.screenshot('desktop-01-export');
  });

  await test.step('a run’s artifact: Save… copies it into the chosen folder', async () => {
    // A run recorded through the MLflow API, with a file where a container leaves its outputs.
    const res = await mlflowPost(page, 'runs/create', { experiment_id: '0', run_name: 'desktop' });
    const runId = (res as { run: { info: { run_id: string } } }).run.info.run_id;
    const out = path.join(workbench.home, 'runs', runId, 'output', 'model');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'model.onnx'), 'not really a model');

    await page.goto(`${new URL(workbench.url).origin}/#/runs/${runId}`);
    const card = page.getByTestId('artifacts-card');
    await expect(card.getByTestId('artifact')).toContainText('model/model.onnx');
    await expect(card.getByTestId('artifact-download')).toHaveCount(0);
    answer = path.join(workbench.scratch, 'saved');
    fs.mkdirSync(answer);
    await card.getByRole('button', { name: 'Save…' }).click();
    await expect(card.getByRole('status')).toContainText(path.join(answer, 'model.onnx'));
    expect(chosen.at(-1)).toBe('Save model/model.onnx to folder');
    expect(fs.readFileSync(path.join(answer, 'model.onnx'), 'utf8')).toBe('not really a model');
    await workbench.screenshot('desktop-02-artifact-saved');
  });

  expect(workbench.problems).toEqual([]);
});
