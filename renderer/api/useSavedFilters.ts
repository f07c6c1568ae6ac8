/**
 * The saved run filters, kept in the store (`filters.*`) so they follow the workbench home, not one
 * browser profile. Filters an earlier version kept in this browser's localStorage are moved into
 * the store once, then the key is cleared; any the store refuses (they no longer parse) are
 * reported, not dropped silently. If the store cannot be reached the key stays, for the next load.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiError } from './apiError.ts';
import { type Client, useClient } from './client.ts';
import { api } from './hooks.ts';

export const LEGACY_KEY = 'mlwb.runs.savedFilters';
const SCOPE = 'runs';
const NAME_LENGTH = 40;

/** The name offered for a filter: its text, cut at a word near 40 characters. */
export function defaultFilterName(filter: string): string {
  const text = filter.replace(/\s+/g, ' ').trim();
  if (text.length <= NAME_LENGTH) return text;
  const cut = text.slice(0, NAME_LENGTH);
  const space = cut.lastIndexOf(' ');
  return `${(space > NAME_LENGTH / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export interface LegacyImport {
  imported: number;
  refused: { filter: string; message: string }[];
}

function readLegacy(storage: Storage): string[] | null {
  const raw = storage.getItem(LEGACY_KEY);
  if (raw === null) return null;
  try {
    const v: unknown = JSON.parse(raw);
    if (!Array.isArray(v)) return [];
    return [...new Set(v.filter((x): x is string => typeof x === 'string').map((x) => x.trim()))].filter(
      Boolean,
    );
  } catch {
    return []; // not JSON: nothing that could be imported
  }
}

/** Saves each filter in `storage` not yet in the store under a free name, then clears the key. */
export async function importLegacyFilters(client: Client, storage: Storage): Promise<LegacyImport | null> {
  const old = readLegacy(storage);
  if (old === null) return null;
  const existing = await client.call('filters.list', { scope: SCOPE });
  const taken = new Set(existing.map((f) => f.name));
  const known = new Set(existing.map((f) => f.filter));
  const result: LegacyImport = { imported: 0, refused: [] };
  for (const filter of old) {
    if (known.has(filter)) continue;
    const base = defaultFilterName(filter);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base} (${n})`;
    try {
      await client.call('filters.save', { scope: SCOPE, name, filter });
      taken.add(name);
      result.imported++;
    } catch (err) {
      const e = ApiError.from(err);
      if (e.code !== 'INVALID_INPUT') throw e;
      result.refused.push({ filter, message: e.message });
    }
  }
  storage.removeItem(LEGACY_KEY);
  return result;
}

// One import per page load, shared by every filter bar mounted meanwhile.
let legacyImport: Promise<LegacyImport | null> | null = null;

export function useSavedFilters() {
  const client = useClient();
  const queryClient = useQueryClient();
  const list = api.filters.list.useQuery({ scope: SCOPE });
  const save = api.filters.save.useMutation();
  const remove = api.filters.remove.useMutation();
  const [legacy, setLegacy] = useState<{ result: LegacyImport | null; error: ApiError | null }>({
    result: null,
    error: null,
  });

  useEffect(() => {
    let live = true;
    legacyImport ??= importLegacyFilters(client, localStorage);
    legacyImport.then(
      (result) => {
        if (result?.imported)
          void queryClient.invalidateQueries({ queryKey: api.filters.list.key({ scope: SCOPE }) });
        if (live && result?.refused.length) setLegacy({ result, error: null });
      },
      (err: unknown) => {
        legacyImport = null; // tried again on the next mount
        if (live) setLegacy({ result: null, error: ApiError.from(err) });
      },
    );
    return () => {
      live = false;
    };
  }, [client, queryClient]);

  const refresh = () => void list.refetch();
  return {
    filters: list.data ?? [],
    isPending: list.isPending,
    error: list.error,
    refetch: refresh,
    save: (name: string, filter: string, onSaved: () => void) =>
      save.mutate(
        { scope: SCOPE, name, filter },
        {
          onSuccess: () => {
            onSaved();
            refresh();
          },
        },
      ),
    remove: (name: string) => remove.mutate({ scope: SCOPE, name }, { onSuccess: refresh }),
    saving: save.isPending,
    saveError: save.error,
    removeError: remove.error,
    /** Filters from this browser's storage the store refused, and why; or why the import failed. */
    legacyRefused: legacy.result?.refused ?? [],
    legacyError: legacy.error,
  };
}
