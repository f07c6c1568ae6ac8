/**
 * The bundled server is what goes into an image: one file plus onnxruntime-node beside it in
 * node_modules/, and nothing else of the workbench. Built into an empty folder laid out that way,
 * it must start, become ready, answer, and drain on SIGTERM.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildServerBundle } from './bundle.mjs';
import {
  irisMeta,
  irisModel,
  post,
  type RunningServer,
  startServer,
  tempDir,
  waitReady,
} from './testServer.ts';

let running: RunningServer | undefined;
afterAll(() => running?.stop());

it('builds one file that starts and serves with only onnxruntime-node beside it', async () => {
  const image = tempDir();
  const outFile = path.join(image, 'server.mjs');
  const { inputs } = await buildServerBundle(outFile);
  expect(inputs).toContain('resources/serving/server.ts');
  const text = fs.readFileSync(outFile, 'utf8');
  // onnxruntime-node stays outside, imported when the first model loads.
  expect(text).toMatch(/import\("onnxruntime-node"\)/);
  expect(text).not.toMatch(/from "\.\//);

  // The image's layout: node_modules/onnxruntime-node next to the server file.
  const ortDir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  fs.mkdirSync(path.join(image, 'node_modules'));
  fs.symlinkSync(ortDir, path.join(image, 'node_modules', 'onnxruntime-node'));

  running = await startServer({ model: irisModel, meta: irisMeta, bundle: outFile, dir: image });
  await waitReady(running.url);
  const r = await post(`${running.url}/invocations`, { instances: [[5.1, 3.5, 1.4, 0.2]] });
  expect(r.status).toBe(200);
  expect((r.json.predictions as { label: string }[])[0]!.label).toBe('setosa');
  running.proc.kill('SIGTERM');
  expect((await running.exited).code).toBe(0);
});
