/**
 * Which cached queries a `changed` event makes stale. Nothing here names an entity: a query keyed
 * `[method, params, …]` (every key the generated hooks make, see hooks.ts) reads what the contract
 * declares for that method and those params (`entitiesRead`), and it is stale when that meets the
 * entities that changed. Core announces those from the same declarations, so the two sides cannot
 * drift apart.
 */
import type { QueryClient } from '@tanstack/react-query';
import { entitiesRead } from '../../shared/contract.ts';
import { isStream } from '../../shared/entities.ts';

/** A query-cache predicate: does the query keyed `queryKey` read any of `changed`? */
export function readsAnyOf(changed: Iterable<string>): (query: { queryKey: readonly unknown[] }) => boolean {
  const names = new Set(changed);
  return ({ queryKey }) =>
    typeof queryKey[0] === 'string' && entitiesRead(queryKey[0], queryKey[1]).some((e) => names.has(e));
}

export function invalidateEntities(queryClient: QueryClient, changed: Iterable<string>): Promise<void> {
  return queryClient.invalidateQueries({ predicate: readsAnyOf(changed) });
}

/**
 * What the shared live invalidation follows of a `changed` event: all but streams (a running
 * run's metrics), which the views that show them follow themselves, throttled (useRunLive.ts).
 */
export function sharedChanges(changed: readonly string[]): string[] {
  return changed.filter((e) => !isStream(e));
}
