/**
 * A version's files as a tree with sizes; folders show their total and collapse. Tabular files
 * link to their profile further down the page.
 */
import { useMemo, useState } from 'react';
import type { ManifestEntry } from '../../../shared/datasets.ts';
import { Icon } from '../../components/icons.tsx';
import { formatBytes, plural } from '../../format.ts';
import './FileTree.css';

interface Folder {
  name: string;
  path: string;
  folders: Map<string, Folder>;
  files: ManifestEntry[];
  bytes: number;
  count: number;
}

/** Above this many files only the top level starts open. */
const OPEN_ALL_LIMIT = 200;

export function FileTree(props: {
  entries: ManifestEntry[];
  isTable: (path: string) => boolean;
  anchorOf: (path: string) => string;
}) {
  const root = useMemo(() => buildTree(props.entries), [props.entries]);
  const [toggled, setToggled] = useState<Set<string>>(new Set());
  const openByDefault = (f: Folder) => props.entries.length <= OPEN_ALL_LIMIT || !f.path.includes('/');
  const isOpen = (f: Folder) => openByDefault(f) !== toggled.has(f.path);
  const toggle = (path: string) =>
    setToggled((prev) => {
      const next = new Set(prev);
      if (!next.delete(path)) next.add(path);
      return next;
    });

  const rows: React.ReactNode[] = [];
  const walk = (folder: Folder, depth: number) => {
    for (const sub of [...folder.folders.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const open = isOpen(sub);
      rows.push(
        <li key={`d:${sub.path}`} className="tree-row tree-folder" style={{ paddingLeft: depth * 16 + 8 }}>
          <button type="button" className="tree-toggle" aria-expanded={open} onClick={() => toggle(sub.path)}>
            <span className={open ? 'caret open' : 'caret'} aria-hidden="true">
              ▸
            </span>
            <Icon name="folder" size={15} />
            <span className="tree-name">{sub.name}</span>
          </button>
          <span className="tree-meta">{plural(sub.count, 'file')}</span>
          <span className="tree-size">{formatBytes(sub.bytes)}</span>
        </li>,
      );
      if (open) walk(sub, depth + 1);
    }
    for (const file of folder.files) {
      const name = file.path.slice(file.path.lastIndexOf('/') + 1);
      rows.push(
        <li
          key={`f:${file.path}`}
          className="tree-row"
          style={{ paddingLeft: depth * 16 + 26 }}
          data-testid="tree-file"
        >
          <Icon name="file" size={15} />
          <span className="tree-name" title={file.path}>
            {props.isTable(file.path) ? (
              <a href={`#${props.anchorOf(file.path)}`} onClick={scrollTo(props.anchorOf(file.path))}>
                {name}
              </a>
            ) : (
              name
            )}
          </span>
          {props.isTable(file.path) && <span className="badge">table</span>}
          <span className="tree-size">{formatBytes(file.size)}</span>
        </li>,
      );
    }
  };
  walk(root, 0);
  return <ul className="tree">{rows}</ul>;
}

/** In-page jumps must not change the hash: the hash is the route. */
const scrollTo = (id: string) => (e: React.MouseEvent) => {
  e.preventDefault();
  document.getElementById(id)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
};

function buildTree(entries: ManifestEntry[]): Folder {
  const root: Folder = { name: '', path: '', folders: new Map(), files: [], bytes: 0, count: 0 };
  for (const e of entries) {
    const parts = e.path.split('/');
    let node = root;
    node.bytes += e.size;
    node.count++;
    for (const part of parts.slice(0, -1)) {
      let next = node.folders.get(part);
      if (!next) {
        next = {
          name: part,
          path: node.path ? `${node.path}/${part}` : part,
          folders: new Map(),
          files: [],
          bytes: 0,
          count: 0,
        };
        node.folders.set(part, next);
      }
      next.bytes += e.size;
      next.count++;
      node = next;
    }
    node.files.push(e);
  }
  return root;
}
