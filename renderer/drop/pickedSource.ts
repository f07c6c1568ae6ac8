/**
 * Turns what the user dropped or picked into a PickedSource, with the same layout rules as core's
 * sourceWalker: one folder alone puts its contents at the version root; several items each go in
 * under their own name. Folders are read through `webkitGetAsEntry()` (browser drops only expose
 * folders that way), recursively, keeping relative paths.
 */
import type { PickedSource } from '../api/transport.ts';

type Root = PickedSource['roots'][number];

/**
 * Must be called synchronously inside the drop handler: the browser empties the DataTransfer
 * once the event returns. The folders are read afterwards.
 */
export function readDrop(dt: DataTransfer): Promise<PickedSource> {
  const items = Array.from(dt.items)
    .filter((item) => item.kind === 'file')
    .map((item) => ({ entry: item.webkitGetAsEntry(), file: item.getAsFile() }));
  // Some sources (and synthesized drops) give files without entries.
  const captured = items.length > 0 ? items : Array.from(dt.files).map((file) => ({ entry: null, file }));
  return collect(captured);
}

async function collect(items: { entry: FileSystemEntry | null; file: File | null }[]): Promise<PickedSource> {
  const roots: Root[] = [];
  const files: PickedSource['files'] = [];
  const emptyFolders: string[] = [];
  const single = items.length === 1 && items[0]!.entry?.isDirectory === true;
  for (const { entry, file } of items) {
    if (entry?.isDirectory) {
      const found = await readFolder(entry as FileSystemDirectoryEntry, single ? '' : entry.name);
      if (found.length === 0) emptyFolders.push(entry.name);
      files.push(...found);
      // Electron resolves the folder's path from the File the drop gave for it.
      if (file) roots.push({ name: entry.name, kind: 'folder', file });
    } else if (file) {
      files.push({ path: file.name, file });
      roots.push({ name: file.name, kind: 'file', file });
    }
  }
  return { files, roots, emptyFolders };
}

async function readFolder(dir: FileSystemDirectoryEntry, prefix: string): Promise<PickedSource['files']> {
  const out: PickedSource['files'] = [];
  for (const entry of await readAllEntries(dir)) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) out.push(...(await readFolder(entry as FileSystemDirectoryEntry, path)));
    else if (entry.isFile) out.push({ path, file: await fileOf(entry as FileSystemFileEntry) });
  }
  return out;
}

/** readEntries returns at most ~100 entries per call; it signals the end with an empty batch. */
async function readAllEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/**
 * From an `<input type=file>`: plain files each at their name; a folder picker (webkitdirectory)
 * gives files with `webkitRelativePath` = "folder/sub/file", and the folder's contents go at the
 * version root.
 */
export function fromFileInput(list: FileList, folder: boolean): PickedSource {
  const picked = Array.from(list);
  if (!folder) {
    return {
      files: picked.map((file) => ({ path: file.name, file })),
      roots: picked.map((file) => ({ name: file.name, kind: 'file', file })),
      emptyFolders: [],
    };
  }
  const files = picked.map((file) => {
    const rel = file.webkitRelativePath || file.name;
    return { path: rel.includes('/') ? rel.slice(rel.indexOf('/') + 1) : rel, file };
  });
  const first = picked[0];
  const rootName = first?.webkitRelativePath.split('/')[0] ?? 'folder';
  return {
    files,
    roots: first ? [{ name: rootName, kind: 'folder', file: first, within: files[0]!.path }] : [],
    emptyFolders: first ? [] : ['the chosen folder'],
  };
}

/** A dataset name suggested from what was dropped: the folder's or the file's name, made valid. */
export function suggestName(source: PickedSource): string {
  const first = source.roots[0]?.name ?? source.emptyFolders[0] ?? '';
  const base = source.roots[0]?.kind === 'file' ? first.replace(/\.[^.]+$/, '') : first;
  return base
    .replace(/[\\/@\u0000-\u001f\u007f]/g, '-')
    .trim()
    .slice(0, 200);
}
