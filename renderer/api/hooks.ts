/**
 * React-query hooks generated from the contract: `api.datasets.list.useQuery({})`,
 * `api.datasets.export.useOperation()`. Query keys are `[method, params]`; `changed` events
 * invalidate exactly the queries that read the named entities, as the contract declares them (see
 * invalidation.ts), at most twice a second however fast they come (see changeCoalescer.ts).
 */
import {
  type UseMutationResult,
  type UseQueryResult,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { useCallback, useEffect } from 'react';
import {
  type MethodName,
  methodNames,
  methods,
  type ParamsOf,
  type ResultOf,
} from '../../shared/contract.ts';
import { ApiError } from './apiError.ts';
import { coalesceChanges } from './changeCoalescer.ts';
import { type LongMethod, type QueryMethod, useClient } from './client.ts';
import { invalidateEntities, sharedChanges } from './invalidation.ts';
import type { OpProgress } from './operations.ts';
import { useLatestRun } from './useLatestRun.ts';

export interface QueryOptions {
  enabled?: boolean;
  refetchInterval?: number;
  staleTime?: number;
}

export const queryKey = <M extends MethodName>(method: M, params: ParamsOf<M>) => [method, params] as const;
/** The prefix of every query of `method`, whatever its params. */
const methodKey = (method: MethodName) => [method] as const;

export function useApiQuery<M extends QueryMethod>(
  method: M,
  params: ParamsOf<M>,
  opts: QueryOptions = {},
): UseQueryResult<ResultOf<M>, ApiError> {
  const client = useClient();
  return useQuery<ResultOf<M>, ApiError>({
    queryKey: queryKey(method, params),
    queryFn: ({ signal }) => client.call(method, params, signal) as Promise<ResultOf<M>>,
    ...opts,
  });
}

export function useApiMutation<M extends QueryMethod>(
  method: M,
): UseMutationResult<ResultOf<M>, ApiError, ParamsOf<M>> {
  const client = useClient();
  return useMutation<ResultOf<M>, ApiError, ParamsOf<M>>({
    mutationFn: (params) => client.call(method, params) as Promise<ResultOf<M>>,
  });
}

export type OperationState<M extends LongMethod> =
  | { status: 'idle' }
  | { status: 'running'; progress: OpProgress | null }
  | { status: 'succeeded'; result: ResultOf<M> }
  | { status: 'failed'; error: ApiError };

/** A long method with its progress, cancel and outcome, for a component to render. */
export function useOperation<M extends LongMethod>(method: M) {
  const client = useClient();
  const { state, begin, cancel, reset } = useLatestRun<OperationState<M>>({ status: 'idle' });

  const start = useCallback(
    async (params: ParamsOf<M>) => {
      const run = begin();
      run.update({ status: 'running', progress: null });
      try {
        const result = await client.run(method, params, {
          signal: run.signal,
          onProgress: (progress) => run.update({ status: 'running', progress }),
        });
        run.update({ status: 'succeeded', result });
      } catch (err) {
        run.update({ status: 'failed', error: ApiError.from(err) });
      } finally {
        run.end();
      }
    },
    [client, method, begin],
  );
  return { state, start, cancel, reset };
}

type HooksFor<M extends MethodName> = M extends LongMethod
  ? { useOperation(): ReturnType<typeof useOperation<M>> }
  : {
      useQuery(params: ParamsOf<M>, opts?: QueryOptions): UseQueryResult<ResultOf<M>, ApiError>;
      useMutation(): UseMutationResult<ResultOf<M>, ApiError, ParamsOf<M>>;
      /** The query's key; without params, the prefix of every query of this method. */
      key(params?: ParamsOf<M>): readonly unknown[];
    };

type Group<M> = M extends `${infer G}.${string}` ? G : never;
export type GeneratedApi = {
  [G in Group<MethodName>]: { [M in MethodName as M extends `${G}.${infer L}` ? L : never]: HooksFor<M> };
};

function generate(): GeneratedApi {
  const api: Record<string, Record<string, unknown>> = {};
  for (const m of methodNames) {
    const [group, leaf] = [m.slice(0, m.indexOf('.')), m.slice(m.indexOf('.') + 1)];
    api[group] ??= {};
    api[group][leaf] = methods[m].long
      ? { useOperation: () => useOperation(m as LongMethod) }
      : {
          useQuery: (params: never, opts?: QueryOptions) => useApiQuery(m as QueryMethod, params, opts),
          useMutation: () => useApiMutation(m as QueryMethod),
          key: (params?: never) => (params === undefined ? methodKey(m) : queryKey(m, params)),
        };
  }
  return api as unknown as GeneratedApi;
}

export const api = generate();

/** A flood of `changed` events refetches what they name at most this often. */
const INVALIDATE_INTERVAL_MS = 500;

/** Keeps the cache in step with core: `changed` events invalidate, a reconnect refetches all. */
export function useLiveInvalidation(): void {
  const client = useClient();
  const queryClient = useQueryClient();
  useEffect(() => {
    let wasLive = false;
    const changes = coalesceChanges(
      (entities) => invalidateEntities(queryClient, entities),
      INVALIDATE_INTERVAL_MS,
    );
    const offEvents = client.transport.subscribe((frame) => {
      if (frame.topic === 'changed')
        changes.add(sharedChanges((frame.payload as { entities: string[] }).entities));
    });
    const offConnection = client.transport.onConnection((state) => {
      if (state === 'live' && wasLive) void queryClient.invalidateQueries();
      if (state === 'live') wasLive = true;
    });
    return () => {
      offEvents();
      offConnection();
      changes.dispose();
    };
  }, [client, queryClient]);
}
