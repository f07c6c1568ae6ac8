/**
 * Running a drift check from the window: a dropped or picked file is staged first (uploaded in
 * browser mode, one file per upload session; its path in Electron), then `drift.check` runs to its
 * end. Each step reports progress and everything can be cancelled. Staged uploads are consumed by
 * the check, so every run stages its files again.
 */
import { useCallback, useRef } from 'react';
import type { DriftOptionsPatch, DriftReportRecord, DriftSource } from '../../shared/drift.ts';
import { ApiError, cancelledError } from './apiError.ts';
import { type Client, useClient } from './client.ts';
import type { OpProgress } from './operations.ts';
import { stageFile } from './stageFile.ts';
import type { StageProgress } from './transport.ts';
import { useLatestRun } from './useLatestRun.ts';

/** A side of the check as the page holds it: a `dataset:…` spec or path, or a file from the window. */
export type CheckInput = string | File;

export interface CheckRequest {
  reference: CheckInput;
  current: CheckInput;
  options: DriftOptionsPatch;
  preset?: string;
}

export type CheckState =
  | { step: 'idle'; error?: ApiError; cancelled?: boolean }
  | { step: 'uploading'; file: string; progress: StageProgress }
  | { step: 'checking'; progress: OpProgress | null }
  | { step: 'done'; result: DriftReportRecord };

export function useDriftCheck(onDone: (record: DriftReportRecord) => void) {
  const client = useClient();
  const { state, begin, cancel } = useLatestRun<CheckState>({ step: 'idle' });
  const done = useRef(onDone);
  done.current = onDone;

  const start = useCallback(
    async (req: CheckRequest) => {
      const run = begin();
      const { signal, update } = run;
      try {
        const stage = (input: CheckInput) =>
          stageInput(client, input, signal, (file, progress) =>
            update({ step: 'uploading', file, progress }),
          );
        const reference = await stage(req.reference);
        const current = await stage(req.current);
        if (signal.aborted) throw cancelledError();
        update({ step: 'checking', progress: null });
        const result = await client.run(
          'drift.check',
          { reference, current, options: req.options, ...(req.preset ? { preset: req.preset } : {}) },
          { signal, onProgress: (progress) => update({ step: 'checking', progress }) },
        );
        // A run started since has the page: this record is not reported.
        if (!run.latest()) return;
        update({ step: 'done', result });
        done.current(result);
      } catch (err) {
        const error = ApiError.from(err);
        update(error.code === 'CANCELLED' ? { step: 'idle', cancelled: true } : { step: 'idle', error });
      } finally {
        run.end();
      }
    },
    [client, begin],
  );
  return { state, start, cancel };
}

async function stageInput(
  client: Client,
  input: CheckInput,
  signal: AbortSignal,
  onProgress: (file: string, p: StageProgress) => void,
): Promise<DriftSource> {
  if (typeof input === 'string') return input;
  const staged = await stageFile(client, input, { signal, onProgress: (p) => onProgress(input.name, p) });
  return 'upload' in staged ? { upload: staged.upload, name: input.name } : staged.path;
}
