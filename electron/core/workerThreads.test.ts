import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDirs } from './testing/tempDirs.ts';
import { startWorker, workerBundle } from './workerThreads.ts';

const dirs = tempDirs();

function answer(url: URL): Promise<unknown> {
  const worker = startWorker(url);
  return new Promise((resolve, reject) => {
    worker.once('message', (m) => {
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', reject);
  });
}

describe('TypeScript workers', () => {
  it('run bundled, and a bundle is rebuilt when a source it was built from changes', async () => {
    const dir = dirs.make();
    const helper = path.join(dir, 'answer.ts');
    const entry = path.join(dir, `probe-${path.basename(dir)}.ts`);
    fs.writeFileSync(helper, "export const answer: string = 'one';\n");
    fs.writeFileSync(
      entry,
      "import { parentPort } from 'node:worker_threads';\nimport { answer } from './answer.ts';\nparentPort!.postMessage(answer);\n",
    );
    const url = pathToFileURL(entry);
    expect(await answer(url)).toBe('one');

    const first = workerBundle(url);
    expect(first?.pathname).toMatch(/node_modules\/\.cache\/mlwb-workers\/probe-.*\.mjs$/);
    expect(workerBundle(url)?.href).toBe(first?.href); // unchanged sources: reused

    fs.writeFileSync(helper, "export const answer: string = 'two!';\n");
    const second = workerBundle(url);
    expect(second?.href).not.toBe(first?.href);
    expect(fs.readFileSync(second!, 'utf8')).toContain('two!');
    for (const f of [first!, second!]) fs.rmSync(f, { force: true });
    fs.rmSync(path.join(path.dirname(second!.pathname), `${path.basename(entry, '.ts')}.json`), {
      force: true,
    });
  });
});
