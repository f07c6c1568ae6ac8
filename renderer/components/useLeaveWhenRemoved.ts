/**
 * Once the thing a page shows is removed: it is dropped from its list's cached copy (which may be
 * from before, and would show, and poll, what is gone) and the list's page opens.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { navigate, type Route } from '../router.ts';

export function useLeaveWhenRemoved<T>(
  removed: boolean,
  list: { key: readonly unknown[]; without: (old: T) => T },
  to: Route,
): void {
  const queryClient = useQueryClient();
  // The latest of these, read when `removed` turns true (callers pass new objects each render).
  const latest = useRef({ list, to });
  latest.current = { list, to };
  useEffect(() => {
    if (!removed) return;
    const { list, to } = latest.current;
    queryClient.setQueryData<T>(list.key, (old) => (old === undefined ? old : list.without(old)));
    navigate(to);
  }, [removed, queryClient]);
}
