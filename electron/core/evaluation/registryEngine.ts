/**
 * The registry's evaluation engine: a registered version evaluated on a stored table, in a worker
 * thread (evaluationRunner.ts). Blobs have no file name, and the engine reads a table's format
 * from its name, so the blob is given through a link named as the table is in its dataset; the
 * link's folder never shows in a message, which names the table as the user knows it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { JsonNumber } from '../../../shared/drift.ts';
import { WorkbenchError } from '../errors.ts';
import type { OpContext } from '../ops/operations.ts';
import type { EngineInput, EngineOutput } from '../registry/evaluations.ts';
import { evaluateModelInWorker } from './evaluationRunner.ts';

export async function evaluateVersion(
  tmpRoot: string,
  input: EngineInput,
  ctx: OpContext,
): Promise<EngineOutput> {
  const { version: v, table } = input;
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'eval-'));
  const linked = path.join(dir, path.posix.basename(table.path));
  try {
    fs.symlinkSync(table.file, linked);
    const result = await evaluateModelInWorker(
      {
        modelPath: input.modelFile,
        inputs: v.inputs,
        outputs: v.outputs,
        featureSpec: v.features,
        classes: v.classes && v.classes.length >= 2 ? v.classes : undefined,
        table: { path: linked },
        label: input.label,
        task: v.task ?? undefined,
      },
      {
        signal: ctx.signal,
        tempDir: tmpRoot,
        progress: (p) =>
          ctx.progress({
            phase: 'evaluating',
            done: p.done,
            total: p.total,
            message: `${p.done} of ${p.total} rows`,
          }),
      },
    );
    return {
      task: result.task,
      metrics: result.metrics as Record<string, JsonNumber | null>,
      details: result,
    };
  } catch (err) {
    if (err instanceof WorkbenchError && err.message.includes(linked))
      throw new WorkbenchError(err.code, err.message.replaceAll(linked, table.shownAs), err.details);
    throw err;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
