/**
 * Adding a version from the window: stage the picked files (upload them in browser mode, resolve
 * their paths in Electron), then run `datasets.add` to its end. Each step reports progress and
 * everything can be cancelled: uploads are aborted, the operation gets `ops.cancel`.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AddResult } from '../../shared/datasets.ts';
import { ApiError } from './apiError.ts';
import { useClient } from './client.ts';
import type { OpProgress } from './operations.ts';
import type { PickedSource, StageProgress } from './transport.ts';

export type AddState =
  | { step: 'form'; error?: ApiError; cancelled?: boolean }
  | { step: 'uploading'; progress: StageProgress }
  | { step: 'storing'; progress: OpProgress | null }
  | { step: 'done'; result: AddResult };

export function useAddVersion() {
  const client = useClient();
  const [state, setState] = useState<AddState>({ step: 'form' });
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const start = useCallback(
    async (req: { name: string; message: string; source: PickedSource }) => {
      abort.current?.abort();
      const controller = new AbortController();
      abort.current = controller;
      const { signal } = controller;
      // Only the latest run sets the state: a run started again cancelled this one, whose progress
      // and outcome ("cancelled", or a result that raced the cancel) come later and would replace
      // the new run's.
      const update = (next: AddState) => {
        if (abort.current === controller) setState(next);
      };
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
        if (signal.aborted) throw new ApiError('CANCELLED', 'The operation was cancelled.');
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
        if (abort.current === controller) abort.current = null;
      }
    },
    [client],
  );

  const cancel = useCallback(() => abort.current?.abort(), []);
  // As useOperation's reset: a run still going is cancelled and can no longer change the state.
  const reset = useCallback(() => {
    abort.current?.abort();
    abort.current = null;
    setState({ step: 'form' });
  }, []);
  return { state, start, cancel, reset };
}
