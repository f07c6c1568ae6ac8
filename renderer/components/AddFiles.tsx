/**
 * Files reach the workbench from anywhere in the window: a drop on any page (a full-window
 * overlay shows where it will go) or the pickers, which pages open through `useAddFiles()`.
 * Either way the "Add a version" dialog opens with what was picked — unless the page on screen
 * claims drops for itself (`useDropClaim`: the Drift page takes them as drift inputs).
 */

import { useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { useClient } from '../api/client.ts';
import { api } from '../api/hooks.ts';
import type { PickedSource } from '../api/transport.ts';
import { fromFileInput, readDrop, suggestName } from '../drop/pickedSource.ts';
import { type AddTarget, AddVersionDialog } from '../features/datasets/AddVersionDialog.tsx';
import { Icon } from './icons.tsx';
import './AddFiles.css';

interface AddFiles {
  pickFiles(): void;
  pickFolder(): void;
}

/** A page that takes dropped files itself. `target` is the element they were dropped on. */
export type DropHandler = (source: PickedSource, target: Element | null) => void;

interface DropClaims {
  claim(handler: DropHandler): () => void;
  /** Files are being dragged over the window (for a claiming page to show its drop zones). */
  dragging: boolean;
}
const DropClaimsContext = createContext<DropClaims | null>(null);

/** While mounted, drops on the window go to `handler` instead of the "Add a version" dialog. */
export function useDropClaim(handler: DropHandler): { dragging: boolean } {
  const claims = useContext(DropClaimsContext);
  if (!claims) throw new Error('useDropClaim needs <AddFilesProvider>.');
  const latest = useRef(handler);
  latest.current = handler;
  const { claim } = claims;
  useEffect(() => claim((source, target) => latest.current(source, target)), [claim]);
  return { dragging: claims.dragging };
}

const AddFilesContext = createContext<AddFiles | null>(null);

export function useAddFiles(): AddFiles {
  const value = useContext(AddFilesContext);
  if (!value) throw new Error('useAddFiles needs <AddFilesProvider>.');
  return value;
}

export function AddFilesProvider(props: { currentDataset?: string; children: ReactNode }) {
  const [pending, setPending] = useState<{ source: PickedSource; initial: AddTarget } | null>(null);
  const [dragging, setDragging] = useState(false);
  const [dropError, setDropError] = useState<string | null>(null);
  const client = useClient();
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const queryClient = useQueryClient();
  const current = useRef(props.currentDataset);
  current.current = props.currentDataset;
  const claimed = useRef<DropHandler | null>(null);
  const [isClaimed, setIsClaimed] = useState(false);
  const claim = useCallback((handler: DropHandler) => {
    claimed.current = handler;
    setIsClaimed(true);
    return () => {
      if (claimed.current !== handler) return;
      claimed.current = null;
      setIsClaimed(false);
    };
  }, []);
  const claims = useMemo<DropClaims>(() => ({ claim, dragging }), [claim, dragging]);

  const open = useMemo(
    () => async (source: PickedSource) => {
      // Only to pick a sensible default; the dialog shows the list's own error if it fails.
      const list = await queryClient
        .fetchQuery({
          queryKey: api.datasets.list.key({}),
          queryFn: () => client.call('datasets.list', {}),
          staleTime: 30_000,
        })
        .catch(() => []);
      const suggested = suggestName(source);
      const names = list.map((d) => d.name);
      const initial: AddTarget = current.current
        ? { mode: 'existing', name: current.current }
        : names.includes(suggested)
          ? { mode: 'existing', name: suggested }
          : { mode: 'new', name: suggested };
      setPending({ source, initial });
    },
    [queryClient, client],
  );

  useWindowDrop({
    setDragging,
    onDrop: (source, target) => (claimed.current ? claimed.current(source, target) : void open(source)),
    onError: (err) => setDropError(err instanceof Error ? err.message : String(err)),
    enabled: pending === null,
  });

  const value = useMemo<AddFiles>(
    () => ({ pickFiles: () => filesInput.current?.click(), pickFolder: () => folderInput.current?.click() }),
    [],
  );
  const onInput = (folder: boolean) => (e: React.ChangeEvent<HTMLInputElement>) => {
    const list = e.currentTarget.files;
    if (list) void open(fromFileInput(list, folder));
    e.currentTarget.value = '';
  };

  return (
    <AddFilesContext.Provider value={value}>
      <DropClaimsContext.Provider value={claims}>{props.children}</DropClaimsContext.Provider>
      <input
        ref={filesInput}
        type="file"
        multiple
        hidden
        data-testid="files-input"
        onChange={onInput(false)}
      />
      <input
        ref={folderInput}
        type="file"
        hidden
        data-testid="folder-input"
        onChange={onInput(true)}
        {...{ webkitdirectory: '' }}
      />
      {dropError && (
        <div className="toast notice notice-error" role="alert">
          <div className="notice-text">Could not read what was dropped: {dropError}</div>
          <button type="button" className="btn btn-small" onClick={() => setDropError(null)}>
            Dismiss
          </button>
        </div>
      )}
      {dragging && !isClaimed && (
        <div className="drop-overlay" data-testid="drop-overlay">
          <div className="drop-target">
            <Icon name="drop" size={40} />
            <div className="drop-title">Drop to add a version</div>
            <div className="muted">
              {props.currentDataset
                ? `to ${props.currentDataset}, or to another dataset`
                : 'to a new or an existing dataset'}
            </div>
          </div>
        </div>
      )}
      {pending && (
        <AddVersionDialog
          source={pending.source}
          initial={pending.initial}
          onClose={() => setPending(null)}
        />
      )}
    </AddFilesContext.Provider>
  );
}

/** Window-wide drag and drop of files; other drags (text, links) are left alone. */
function useWindowDrop(opts: {
  setDragging: (on: boolean) => void;
  onDrop: (source: PickedSource, target: Element | null) => void;
  onError: (err: unknown) => void;
  /** When false (a dialog is open) drops are refused, but still kept from opening the file. */
  enabled: boolean;
}) {
  const { setDragging, enabled } = opts;
  const latest = useRef(opts);
  latest.current = opts;
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (!enabled) return;
      depth++;
      setDragging(true);
    };
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = enabled ? 'copy' : 'none';
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e) || !e.dataTransfer) return;
      e.preventDefault();
      if (!enabled) return;
      depth = 0;
      setDragging(false);
      const target = e.target instanceof Element ? e.target : null;
      readDrop(e.dataTransfer).then(
        (source) => latest.current.onDrop(source, target),
        latest.current.onError,
      );
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [enabled, setDragging]);
}
