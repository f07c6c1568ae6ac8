/**
 * The registry's evaluation engine: a registered version evaluated on a stored table, in a worker
 * thread (evaluationRunner.ts). A blob has no file name, so the table's format goes with it, and
 * messages name the table as the user knows it (`iris@2:test.csv`).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { JsonNumber } from '../../../shared/drift.ts';
import type { OpContext } from '../ops/operations.ts';
import type { EngineInput, EngineOutput } from '../registry/evaluations.ts';
import { evaluateModelInWorker } from './evaluationRunner.ts';

export async function evaluateVersion(
  tmpRoot: string,
  input: EngineInput,
  ctx: OpContext,
): Promise<EngineOutput> {
  // DuckDB spills below here; removed whatever happens, even when a cancelled worker is
  // terminated before it could clean up after itself.
  const tempDir = await fs.mkdtemp(path.join(tmpRoot, 'eval-'));
  try {
    const { version: v, table } = input;
    const result = await evaluateModelInWorker(
      {
        modelPath: input.modelFile,
        inputs: v.inputs,
        outputs: v.outputs,
        featureSpec: v.features,
        classes: v.classes && v.classes.length >= 2 ? v.classes : undefined,
        table: { path: table.file, format: table.format, name: table.shownAs },
        label: input.label,
        task: v.task ?? undefined,
      },
      {
        signal: ctx.signal,
        tempDir,
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
  } finally {
    await fs.rm(tempDir, { recursive: true, force: true });
  }
}
