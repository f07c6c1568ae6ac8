/**
 * Adding a version from the window: stage the picked files (upload them in browser mode, resolve
 * their paths in Electron), then run `datasets.add` to its end. Each step reports progress and
 * everything can be cancelled: uploads are aborted, the operation gets `ops.cancel`.
 */
import { useCallback } from 'react';
import type { AddResult } from '../../shared/datasets.ts';
import { ApiError, cancelledError } from './apiError.ts';
import { useClient } from './client.ts';
import type { OpProgress } from './operations.ts';
import type { PickedSource, StageProgress } from './transport.ts';
import { useLatestRun } from './useLatestRun.ts';

export type AddState =
  | { step: 'form'; error?: ApiError; cancelled?: boolean }
  | { step: 'uploading'; progress: StageProgress }
  | { step: 'storing'; progress: OpProgress | null }
  | { step: 'done'; result: AddResult };

export function useAddVersion() {
  const client = useClient();
  const { state, begin, cancel, reset } = useLatestRun<AddState>({ step: 'form' });

  const start = useCallback(
    async (req: { name: string; message: string; source: PickedSource }) => {
      const run = begin();
      const { signal, update } = run;
      try {
        const needsUpload = client.transport.kind === 'browser';
        if (needsUpload) {
          update({
            step: 'uploading',
            progress: { bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: req.source.files.length },
          });
        }
        const staged = await client.transport.stage(req.source, {
          signal,
          onProgress: (progress) => update({ step: 'uploading', progress }),
        });
        if (signal.aborted) throw cancelledError();
        update({ step: 'storing', progress: null });
        const result = await client.run(
          'datasets.add',
          { name: req.name, message: req.message, ...staged },
          { signal, onProgress: (progress) => update({ step: 'storing', progress }) },
        );
        update({ step: 'done', result });
      } catch (err) {
        const error = ApiError.from(err);
        update(error.code === 'CANCELLED' ? { step: 'form', cancelled: true } : { step: 'form', error });
      } finally {
        run.end();
      }
    },
    [client, begin],
  );
  return { state, start, cancel, reset };
}
