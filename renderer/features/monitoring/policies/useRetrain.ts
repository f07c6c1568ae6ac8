/**
 * Retrain now, followed as a long operation (the step under way, a bar, Cancel), with one
 * difference from the generated `useOperation`: leaving the page does not cancel it. An execution
 * runs on in core and is recorded as it goes, like one the app's schedule starts, and the page
 * shows it again when opened; opening the run a step made, to read its logs, must not stop the
 * retraining. Only Cancel does.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../../../api/apiError.ts';
import { useClient } from '../../../api/client.ts';
import type { OperationState } from '../../../api/hooks.ts';

export function useRetrain() {
  const client = useClient();
  const [state, setState] = useState<OperationState<'policies.run'>>({ status: 'idle' });
  const current = useRef<AbortController | null>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      // Not aborted: the execution runs on; only this page stops following it.
      mounted.current = false;
    };
  }, []);

  const start = useCallback(
    async (name: string) => {
      if (current.current) return;
      const controller = new AbortController();
      current.current = controller;
      const update = (next: OperationState<'policies.run'>) => {
        if (mounted.current) setState(next);
      };
      update({ status: 'running', progress: null });
      try {
        const result = await client.run(
          'policies.run',
          { name, ifTriggered: false },
          {
            signal: controller.signal,
            onProgress: (progress) => update({ status: 'running', progress }),
          },
        );
        update({ status: 'succeeded', result });
      } catch (err) {
        update({ status: 'failed', error: ApiError.from(err) });
      } finally {
        current.current = null;
      }
    },
    [client],
  );
  const cancel = useCallback(() => current.current?.abort(), []);
  return { state, start, cancel };
}

export type Retrain = ReturnType<typeof useRetrain>;
