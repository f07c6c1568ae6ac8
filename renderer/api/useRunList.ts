/**
 * The runs table's data: `runs.search` page by page (an infinite query), so 10,000 runs arrive in
 * a few requests while the first screen shows at once. Its key is the generated `runs.search` key
 * (with a marker: its data is pages, not one page), so a change to runs refetches the loaded pages
 * like any other runs query.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { RunSummary } from '../../shared/tracking.ts';
import type { ApiError } from './apiError.ts';
import { useClient } from './client.ts';
import { api } from './hooks.ts';

const PAGE = 2000;

export interface RunList {
  runs: RunSummary[];
  error: ApiError | null;
  isPending: boolean;
  isFetching: boolean;
  hasMore: boolean;
  /** Asks for the next page, unless one is on its way. */
  loadMore(): void;
  refetch(): void;
}

export function useRunList(search: { filter: string; orderBy: string[] }): RunList {
  const client = useClient();
  const q = useInfiniteQuery({
    queryKey: [...api.runs.search.key({ ...search, maxResults: PAGE }), 'pages'],
    queryFn: ({ pageParam, signal }) =>
      client.call(
        'runs.search',
        { filter: search.filter, orderBy: search.orderBy, maxResults: PAGE, pageToken: pageParam },
        signal,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextPageToken ?? undefined,
    // A page list refetched after every event would churn during a sweep; events invalidate it.
    staleTime: Number.POSITIVE_INFINITY,
  });
  const runs = useMemo(() => q.data?.pages.flatMap((p) => p.runs) ?? [], [q.data]);
  return {
    runs,
    error: (q.error as ApiError | null) ?? null,
    isPending: q.isPending,
    isFetching: q.isFetching,
    hasMore: Boolean(q.hasNextPage),
    loadMore: () => {
      // Not cancelling a page on its way: the table asks again at every scroll frame until the
      // page arrives, and each cancel would throw away a request the server has mostly answered.
      if (q.hasNextPage && !q.isFetchingNextPage) void q.fetchNextPage({ cancelRefetch: false });
    },
    refetch: () => void q.refetch(),
  };
}
